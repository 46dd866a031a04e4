package dev.kiln.distributor.ingest;

import dev.kiln.common.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code name} parameter of {@code /ingest}: {@code app.cpu{env=staging,region=us}}. The part
 * before the braces is the application name (with the profile kind as its last dotted part for
 * text formats); inside are unquoted {@code key=value} pairs.
 */
public record AppName(String name, Map<String, String> labels) {

    public static AppName parse(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new InvalidInputException("service name is required: set the 'name' parameter, e.g. name=myapp.cpu{env=prod}");
        }
        String s = raw.trim();
        int brace = s.indexOf('{');
        String name = (brace < 0 ? s : s.substring(0, brace)).trim();
        if (name.isEmpty()) {
            throw new InvalidInputException("service name is required: the 'name' parameter has no application name before '{'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '/' || c == '-')) {
                throw new InvalidInputException("invalid application name '" + name + "': character '" + c + "' is not allowed (use letters, digits, _ . / -)");
            }
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (brace >= 0) {
            if (!s.endsWith("}")) {
                throw new InvalidInputException("invalid name '" + raw + "': labels must end with '}'");
            }
            String body = s.substring(brace + 1, s.length() - 1);
            for (String pair : body.split(",")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new InvalidInputException("invalid label '" + pair.trim() + "' in name: expected key=value");
                }
                String k = pair.substring(0, eq).trim();
                String v = pair.substring(eq + 1).trim();
                for (int i = 0; i < k.length(); i++) {
                    char c = k.charAt(i);
                    if (!(Character.isLetterOrDigit(c) || c == '_' || c == '.')) {
                        throw new InvalidInputException("invalid label name '" + k + "' in name: use letters, digits, _ and .");
                    }
                }
                if (k.equals("__name__")) {
                    throw new InvalidInputException("label __name__ is reserved in the name parameter");
                }
                labels.put(k, v);
            }
        }
        return new AppName(name, labels);
    }
}
