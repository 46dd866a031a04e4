package dev.kiln.common.block;

import dev.kiln.common.objstore.NoSuchObjectException;
import dev.kiln.common.objstore.ObjectStoreException;
import java.io.IOException;

/**
 * Turns failures while reading a block file into {@link BlockCorruptedException}s naming the block
 * and the file. Storage failures other than a missing object (network, permissions) pass through
 * unchanged: they say nothing about the block's integrity.
 */
final class BlockFileErrors {
    @FunctionalInterface
    interface Read<T> {
        T run() throws IOException;
    }

    private BlockFileErrors() {}

    static <T> T guard(String block, String file, Read<T> read) {
        try {
            return read.run();
        } catch (BlockCorruptedException e) {
            throw e;
        } catch (NoSuchObjectException e) {
            throw new BlockCorruptedException(block, file, "is missing from object storage", e);
        } catch (ObjectStoreException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new BlockCorruptedException(block, file, "cannot be read: " + describe(e), e);
        }
    }

    /** The exception's message, with its causes' messages when it has none of its own. */
    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
