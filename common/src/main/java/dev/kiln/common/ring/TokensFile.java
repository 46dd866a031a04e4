package dev.kiln.common.ring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The {@code tokens_file_path} file: {@code {"tokens":[1,2,3]}} with unsigned values, the layout
 * dskit writes, so a file can move between the two.
 */
final class TokensFile {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TokensFile() {}

    /** The saved tokens, or none if the file does not exist. */
    static int[] load(Path path) throws IOException {
        if (!Files.exists(path)) {
            return new int[0];
        }
        JsonNode tokens = MAPPER.readTree(path.toFile()).get("tokens");
        if (tokens == null || !tokens.isArray()) {
            throw new IOException("tokens file " + path + " has no \"tokens\" array");
        }
        int[] result = new int[tokens.size()];
        for (int i = 0; i < result.length; i++) {
            JsonNode token = tokens.get(i);
            if (!token.isIntegralNumber()) {
                throw new IOException("tokens file " + path + " holds non-integer token " + token);
            }
            try {
                result[i] = Tokens.fromUnsigned(token.asLong());
            } catch (IllegalArgumentException e) {
                throw new IOException("tokens file " + path + ": " + e.getMessage(), e);
            }
        }
        return result;
    }

    /** Replaces the file atomically, so a crash mid-write leaves the old tokens. */
    static void save(Path path, int[] tokens) throws IOException {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode array = root.putArray("tokens");
        for (int token : tokens) {
            array.add(Tokens.toUnsigned(token));
        }
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempFile(parent, path.getFileName().toString(), ".tmp");
        try {
            MAPPER.writeValue(temp.toFile(), root);
            Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
