package ai.lort.compress;

import ai.lort.calibrate.Calibration;
import java.nio.file.Path;

/**
 * What {@code lort compress} was asked to do.
 * @param bpw         target bits per weight over the compressed layers (ignored when {@code rank} is set)
 * @param rank        fixed rank for every layer, or null to derive it from {@code bpw}
 * @param calibration the calibrated method's options, or null for the weight-only ALS method
 * @param scaleFormat per-row scale encoding ({@code row-f32} or {@code row-f16})
 * @param packing     ternary code packing: {@code t2-g64} or {@code t3-b5}
 * @param rotation    input rotation of every compressed layer: {@code none} or {@code hadamard}
 * @param eval        a text file whose documents' perplexity is measured on the original and the
 *                    compressed model at the end, or null
 */
public record CompressOptions(int minDim, double bpw, Integer rank, int iterations, int threads, long seed,
                              boolean includeLmHead, boolean verbose, boolean quiet,
                              Calibration calibration, String packing, String scaleFormat, String rotation, Path eval) {
    public static final double DEFAULT_BPW = 2.2;
    public static final int DEFAULT_ITERATIONS = 4;

    /** The weight-only method with float32 scales (format 1.0). */
    public CompressOptions(int minDim, double bpw, Integer rank, int iterations, int threads, long seed,
                           boolean includeLmHead, boolean verbose, boolean quiet) {
        this(minDim, bpw, rank, iterations, threads, seed, includeLmHead, verbose, quiet, null,
                ai.lort.format.CompressedLayer.PACKING_T2_G64, ai.lort.format.LortFormat.SCALES_ROW_F32, ai.lort.format.LortFormat.ROTATION_NONE, null);
    }

    /** The rotation of a layer with {@code cols} inputs and this seed, or null for none. */
    public ai.lort.pack.Hadamard rotationFor(int cols, long layerSeed) {
        return ai.lort.format.LortFormat.ROTATION_HADAMARD.equals(rotation) ? ai.lort.pack.Hadamard.of(cols, layerSeed) : null;
    }

    /** Stored bits per weight of an m × n layer of rank r with these encodings. */
    public double bitsPerWeight(int m, int n, int r) { return ai.lort.decompose.RankPlanner.bitsPerWeight(m, n, r, scaleBits(), packing); }

    /** The rank that fits {@code --rank} or the {@code --bpw} budget. */
    public int rankFor(int m, int n) {
        return rank != null ? Math.min(rank, Math.min(m, n)) : ai.lort.decompose.RankPlanner.rankFor(m, n, bpw, scaleBits(), packing);
    }

    public int scaleBits() { return 8 * ai.lort.format.LortFormat.scaleBytes(scaleFormat); }
}
