package ai.lort.export;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.format.QuantizedTensor;
import ai.lort.load.DType;
import ai.lort.load.SafetensorsWriter;
import ai.lort.load.Tensor;
import ai.lort.util.Half;
import ai.lort.util.ProgressBar;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One tensor of an exported safetensors file: name, dtype and shape for the header, and a body
 * that produces its bytes a part at a time, so no tensor (and never the model) is whole on the
 * heap: a compressed layer is reconstructed a block of rows at a time, a kept tensor is copied or
 * converted from the mapped file in slices.
 */
record TensorEntry(String name, DType dtype, long[] shape, Body body) {
    /** Floats per part: 16 MiB of float32 at most. */
    static final int PART = 1 << 22;

    /** Writes a tensor's bytes in order, as parts handed to {@code out}. */
    @FunctionalInterface
    interface Body {
        void write(DType dtype, Parts out) throws IOException;
    }

    @FunctionalInterface
    interface Parts {
        void accept(byte[] data, int length) throws IOException;
    }

    long bytes() {
        long n = dtype.size();
        for (long d : shape) n *= d;
        return n;
    }

    /**
     * Rows of a compressed layer's reconstruction in its input basis (rotation undone): the
     * ternary part {@code diag(s)·T·R}, the low-rank part {@code B·A·R}, or both.
     */
    static TensorEntry layer(String name, CompressedLayer l, DType dtype, boolean ternary, boolean lowRank, int threads) {
        return new TensorEntry(name, dtype, new long[] {l.rows(), l.cols()}, (dt, out) -> {
            int block = Math.max(1, PART / l.cols());
            for (int from = 0; from < l.rows(); from += block) {
                int to = Math.min(l.rows(), from + block);
                float[] rows = LortFile.reconstructRows(l, from, to, ternary, lowRank, threads);
                writeFloats(rows, rows.length, dt, out);
            }
        });
    }

    /** A group-quantized kept matrix, dequantized a block of rows at a time. */
    static TensorEntry quantized(QuantizedTensor q, DType dtype) {
        return new TensorEntry(q.name(), dtype, new long[] {q.rows(), q.cols()}, (dt, out) -> {
            int block = Math.max(1, PART / q.cols());
            float[] row = new float[q.cols()];
            for (int from = 0; from < q.rows(); from += block) {
                int to = Math.min(q.rows(), from + block);
                float[] rows = new float[(to - from) * q.cols()];
                for (int r = from; r < to; r++) {
                    q.dequantizeRow(r, row);
                    System.arraycopy(row, 0, rows, (r - from) * q.cols(), q.cols());
                }
                writeFloats(rows, rows.length, dt, out);
            }
        });
    }

    /** A kept tensor: its bytes as they are when the dtype stays, else converted slice by slice. */
    static TensorEntry kept(Tensor t, DType dtype) {
        DType target = t.dtype().isCompressible() ? dtype : t.dtype();
        return new TensorEntry(t.name(), target, t.shape(), (dt, out) -> {
            if (dt == t.dtype()) {
                byte[] buf = new byte[(int) Math.min(t.byteSize(), 4L * PART)];
                for (long at = 0; at < t.byteSize(); at += buf.length) {
                    int n = (int) Math.min(buf.length, t.byteSize() - at);
                    MemorySegment.copy(t.data(), ValueLayout.JAVA_BYTE, at, buf, 0, n);
                    out.accept(buf, n);
                }
                return;
            }
            long count = t.elementCount();
            float[] part = new float[(int) Math.min(count, PART)];
            for (long at = 0; at < count; at += part.length) {
                int n = (int) Math.min(part.length, count - at);
                float[] slice = n == part.length ? part : new float[n];
                t.readFloats(at, slice);
                writeFloats(slice, n, dt, out);
            }
        });
    }

    /** A small tensor already on the heap (a LoRA factor). */
    static TensorEntry floats(String name, DType dtype, long[] shape, float[] values) {
        return new TensorEntry(name, dtype, shape, (dt, out) -> writeFloats(values, values.length, dt, out));
    }

    private static void writeFloats(float[] v, int n, DType dtype, Parts out) throws IOException {
        byte[] b = new byte[n * dtype.size()];
        for (int i = 0, o = 0; i < n; i++) {
            switch (dtype) {
                case F32 -> { int x = Float.floatToRawIntBits(v[i]); b[o++] = (byte) x; b[o++] = (byte) (x >> 8); b[o++] = (byte) (x >> 16); b[o++] = (byte) (x >> 24); }
                case F16 -> { short h = Half.floatToF16(v[i]); b[o++] = (byte) h; b[o++] = (byte) (h >> 8); }
                case BF16 -> { short h = Half.floatToBf16(v[i]); b[o++] = (byte) h; b[o++] = (byte) (h >> 8); }
                default -> throw new IllegalArgumentException("cannot write floats as " + dtype);
            }
        }
        out.accept(b, b.length);
    }

    /** Writes {@code entries} as one safetensors file, in order, counting the bytes on {@code bar}. */
    static long writeFile(Path path, List<TensorEntry> entries, ProgressBar bar, long[] done) throws IOException {
        List<SafetensorsWriter.Spec> specs = entries.stream().map(e -> new SafetensorsWriter.Spec(e.name(), e.dtype(), e.shape())).toList();
        long bytes = 0;
        try (SafetensorsWriter w = new SafetensorsWriter(path, specs, Map.of("format", "pt"))) {
            for (TensorEntry e : entries) {
                bar.suffix(e.name());
                e.body().write(e.dtype(), (data, length) -> {
                    w.writePart(data, length);
                    done[0] += length;
                    bar.update(done[0]);
                });
                bytes += e.bytes();
            }
        }
        return bytes;
    }
}
