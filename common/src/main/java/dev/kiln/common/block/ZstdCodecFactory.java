package dev.kiln.common.block;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Parquet compression without Hadoop: parquet-java's own codecs are Hadoop {@code CompressionCodec}s
 * and fail to load without Hadoop on the class path, so blocks use this factory for writing and
 * reading. Zstandard comes from zstd-jni, which bundles its native library (no Hadoop native
 * libraries). The pure-Java alternative on the class path (aircompressor 2.0.3) was measured 4×
 * slower to compress and 5× slower to decompress, and it fails under
 * {@code --sun-misc-unsafe-memory-access=deny}; see docs/benchmarks-block.md.
 */
final class ZstdCodecFactory implements CompressionCodecFactory {
    private final int level;

    ZstdCodecFactory(int level) {
        this.level = level;
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codec) {
        if (codec != CompressionCodecName.ZSTD) {
            throw new UnsupportedOperationException("Parquet codec " + codec + " is not supported; Kiln writes ZSTD");
        }
        return new Compressor(level);
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
        if (codec != CompressionCodecName.ZSTD) {
            throw new UnsupportedOperationException("Parquet codec " + codec + " is not supported; Kiln blocks use ZSTD");
        }
        return ZSTD_DECOMPRESSOR;
    }

    @Override
    public void release() {
        // stateless: nothing pooled
    }

    private record Compressor(int level) implements BytesInputCompressor {
        @Override
        public BytesInput compress(BytesInput bytes) throws IOException {
            return BytesInput.from(Zstd.compress(bytes.toByteArray(), level));
        }

        @Override
        public CompressionCodecName getCodecName() {
            return CompressionCodecName.ZSTD;
        }

        @Override
        public void release() {
            // stateless
        }
    }

    private static final BytesInputDecompressor ZSTD_DECOMPRESSOR = new BytesInputDecompressor() {
        @Override
        public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
            byte[] in = bytes.toByteArray();
            byte[] out = new byte[uncompressedSize];
            check(Zstd.decompressByteArray(out, 0, uncompressedSize, in, 0, in.length), uncompressedSize);
            return BytesInput.from(out);
        }

        @Override
        public void decompress(ByteBuffer in, int compressedSize, ByteBuffer out, int uncompressedSize) throws IOException {
            byte[] src = new byte[compressedSize];
            in.get(src);
            byte[] dst = new byte[uncompressedSize];
            check(Zstd.decompressByteArray(dst, 0, uncompressedSize, src, 0, compressedSize), uncompressedSize);
            out.put(dst);
        }

        private static void check(long result, int expected) throws IOException {
            if (Zstd.isError(result)) {
                throw new IOException("zstd decompression failed: " + Zstd.getErrorName(result));
            }
            if (result != expected) {
                throw new IOException("zstd page decompressed to " + result + " bytes, expected " + expected);
            }
        }

        @Override
        public void release() {
            // stateless
        }
    };
}
