package dev.kiln.common.config;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Generates the configuration reference (docs/configuration.md) from the registered keys. */
public final class ConfigReference {
    private ConfigReference() {}

    public static String markdown(Collection<ConfigKey> keys) {
        List<ConfigKey> sorted = keys.stream().sorted(Comparator.comparing(ConfigKey::path)).toList();
        StringBuilder sb = new StringBuilder();
        sb.append("# Configuration reference\n\n");
        sb.append("<!-- Generated from the registered keys by dev.kiln.server.ConfigDocsTest (run it with -Dkiln.docs.write=true to refresh); the test fails when this file is stale. -->\n\n");
        sb.append("Every key can be set in the YAML file given by `-config.file` (nested by the dots of its path) ")
                .append("or as a command-line flag, which wins over the file. With `-config.expand-env`, `${VAR}` and ")
                .append("`${VAR:default}` in the file are replaced by environment variables. Unknown keys are an error.\n\n");
        sb.append("Durations are written like `500ms`, `15s`, `1h30m`, `7d`. Byte sizes accept `KiB`, `MiB`, `GiB` suffixes.\n\n");
        String section = null;
        for (ConfigKey k : sorted) {
            String top = k.path().contains(".") ? k.path().substring(0, k.path().indexOf('.')) : "(top level)";
            if (!top.equals(section)) {
                section = top;
                sb.append("\n## ").append(section).append("\n\n");
                sb.append("| key | flag | type | default | description |\n|---|---|---|---|---|\n");
            }
            sb.append("| `").append(k.path()).append("` | `-").append(k.flag()).append("` | ")
                    .append(k.type().name().toLowerCase(Locale.ROOT)).append(" | ")
                    .append(defaultText(k)).append(" | ")
                    .append(k.description().replace("|", "\\|"))
                    .append(k.secret() ? " (secret: masked in `/api/v1/status/config`)" : "")
                    .append(" |\n");
        }
        return sb.toString();
    }

    private static String defaultText(ConfigKey k) {
        Object d = k.defaultValue();
        if (d == null) {
            return "";
        }
        String s = ConfigType.format(d);
        return s.isEmpty() ? "`\"\"`" : "`" + s.replace("|", "\\|") + "`";
    }
}
