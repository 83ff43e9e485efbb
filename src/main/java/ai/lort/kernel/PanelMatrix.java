package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;

import jdk.incubator.vector.FloatVector;

/**
 * Dense weights decoded to float once and stored as {@link DenseGemm}'s weight panels (the
 * {@link MicroKernel}'s A layout), for a matrix that runs many large batches: calibration runs each
 * layer over every calibration sequence (64 products of 256 tokens), and decoding the rows of a
 * mapped or row-major matrix into panels on every product, 12 rows × 256 columns strided a row
 * apart, is a large part of a product with float32 weights (bench/README.md). Here the packed
 * product reads the panels in place, one sequential stream.
 *
 * <p>Layout: the panel of rows {@code [12g, 12g + 12)} and the k slice {@code s} (columns
 * {@code [256s, 256s + 256)}) starts at {@link #panelOffset}{@code (g, s)}; in it row i's columns
 * are at {@code i·PANEL_STRIDE}. Rows past the matrix are zeros. Results are the bits of the
 * source matrix's own products (the same floats meet the same kernel in the same order).
 * Memory: 4 bytes a weight plus about 6 % of padding, on the heap.
 */
public final class PanelMatrix extends DenseMatrix {
    final float[] panels;
    private final int slices;

    private PanelMatrix(int rows, int cols) {
        super(rows, cols);
        this.slices = (cols + MicroKernel.KC - 1) / MicroKernel.KC;
        int groups = (rows + MicroKernel.MR - 1) / MicroKernel.MR;
        this.panels = new float[Math.multiplyExact(groups * slices, MicroKernel.MR * MicroKernel.PANEL_STRIDE)];
    }

    /** The row-major {@code rows × cols} floats {@code w} as panels ({@code w} is not kept). */
    public static PanelMatrix of(float[] w, int rows, int cols) {
        if (w.length != (long) rows * cols) throw new IllegalArgumentException(w.length + " floats for " + rows + "x" + cols);
        PanelMatrix p = new PanelMatrix(rows, cols);
        p.fill((r, from, to, out, at) -> System.arraycopy(w, r * cols + from, out, at, to - from));
        return p;
    }

    /** Whether {@link #of(Matrix)} takes m: the dense F32, F16 and BF16 matrices (panels already are). */
    public static boolean packable(Matrix m) {
        return m instanceof DenseMatrix && !(m instanceof PanelMatrix);
    }

    /** A dense F32, F16 or BF16 matrix decoded into panels. */
    public static PanelMatrix of(Matrix dense) {
        if (!packable(dense)) throw new IllegalArgumentException("not a dense matrix: " + dense.getClass().getSimpleName());
        PanelMatrix p = new PanelMatrix(dense.rows(), dense.cols());
        p.fill(((DenseMatrix) dense).rowDecoder);
        return p;
    }

    private void fill(DenseBatch.RowDecoder source) {
        for (int r = 0; r < rows; r++)
            for (int s = 0; s < slices; s++) {
                int p0 = s * MicroKernel.KC, kc = Math.min(MicroKernel.KC, cols - p0);
                source.decode(r, p0, p0 + kc, panels, rowOffset(r, s));
            }
    }

    /** Start of the panel of row group g (rows 12g..) and k slice s. */
    int panelOffset(int g, int s) {
        return (g * slices + s) * MicroKernel.MR * MicroKernel.PANEL_STRIDE;
    }

    private int rowOffset(int r, int s) {
        return panelOffset(r / MicroKernel.MR, s) + r % MicroKernel.MR * MicroKernel.PANEL_STRIDE;
    }

    @Override
    void decodeRow(int row, int from, int to, float[] out, int at) {
        for (int c = from; c < to; ) {
            int s = c / MicroKernel.KC, end = Math.min(to, (s + 1) * MicroKernel.KC);
            System.arraycopy(panels, rowOffset(row, s) + c - s * MicroKernel.KC, out, at + c - from, end - c);
            c = end;
        }
    }

    @Override public long weightBytes() { return 4L * rows * cols; }

    @Override
    public void matvec(float[] x, float[] y, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            FloatVector acc = FloatVector.zero(F);
            float tail = 0;
            for (int s = 0; s < slices; s++) {
                int p0 = s * MicroKernel.KC, kc = Math.min(MicroKernel.KC, cols - p0), o = rowOffset(r, s), c = 0;
                for (int bound = F.loopBound(kc); c < bound; c += F.length())
                    acc = FloatVector.fromArray(F, panels, o + c).fma(FloatVector.fromArray(F, x, p0 + c), acc);
                for (; c < kc; c++) tail += panels[o + c] * x[p0 + c];
            }
            y[r] = Lanes.sum(acc) + tail;
        }
    }

    /** Plain reference for {@link #matvec}. */
    public void scalarMatvec(float[] x, float[] y, int rowFrom, int rowTo) {
        float[] row = new float[cols];
        for (int r = rowFrom; r < rowTo; r++) {
            decodeRow(r, 0, cols, row, 0);
            float acc = 0;
            for (int c = 0; c < cols; c++) acc += row[c] * x[c];
            y[r] = acc;
        }
    }
}
