package dev.kiln.common.block;

import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;

/**
 * A block file is missing, truncated or does not decode. The message names the block
 * ({@code <tenant>/<block id>}) and the file, so an operator can find and remove it.
 */
public final class BlockCorruptedException extends KilnException {
    private final String block;
    private final String file;

    public BlockCorruptedException(String block, String file, String problem) {
        this(block, file, problem, null);
    }

    public BlockCorruptedException(String block, String file, String problem, Throwable cause) {
        super(ErrorCode.DATA_LOSS, "block " + block + ": " + file + " " + problem, cause);
        this.block = block;
        this.file = file;
    }

    /** {@code <tenant>/<block id>}. */
    public String block() {
        return block;
    }

    /** The file's path relative to the block, e.g. {@code profiles.parquet}. */
    public String file() {
        return file;
    }
}
