package ai.lort.format;

import ai.lort.LortException;
import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The encoding of embedded files (docs/FORMAT.md, {@code files}): verbatim, or since 1.2 a zlib
 * stream (RFC 1950) whose inflated size the index states, so that a reader allocates exactly that
 * and a stream that inflates to more or less is refused.
 */
final class EmbeddedFiles {
    /** The {@code encoding} value of a zlib-compressed file. */
    static final String ZLIB = "zlib";
    static final int SINCE_MINOR = 2;
    /** Largest inflated size a reader accepts (tokenizers are a few MB; this bounds what a hostile index can make it allocate). */
    static final long MAX_SIZE = 1L << 28;

    private EmbeddedFiles() {}

    /** {@code content} as one zlib stream at the best compression. */
    static byte[] deflate(byte[] content) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        try {
            d.setInput(content);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(content.length / 3 + 64);
            byte[] buf = new byte[1 << 16];
            while (!d.finished()) out.write(buf, 0, d.deflate(buf));
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    /** Inflates {@code packed}, which must be one complete zlib stream of exactly {@code size} bytes. */
    static byte[] inflate(byte[] packed, int size, String what) {
        Inflater inf = new Inflater();
        try {
            inf.setInput(packed);
            byte[] out = new byte[size];
            int n = 0;
            while (n < size) {
                int got = inf.inflate(out, n, size - n);
                if (got == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) break;
                n += got;
            }
            byte[] extra = new byte[1];
            if (n != size || inf.inflate(extra) != 0 || !inf.finished() || inf.getRemaining() != 0)
                throw new LortException(what + " does not inflate to the " + size + " bytes its index states (file corrupted)");
            return out;
        } catch (DataFormatException e) {
            throw new LortException(what + " is not a valid zlib stream (file corrupted): " + e.getMessage());
        } finally {
            inf.end();
        }
    }
}
