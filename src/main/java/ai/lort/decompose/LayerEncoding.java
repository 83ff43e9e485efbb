package ai.lort.decompose;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.format.Rotation;
import ai.lort.format.ScaleEncoding;
import ai.lort.pack.Hadamard;
import java.util.Map;

/**
 * How every compressed layer is stored and how many bits it may take: the codes' packing, the
 * scales' encoding, the input rotation, and the budget (bits per weight, or one fixed rank); and
 * the seed each layer's randomness (rotation signs, SVD start) comes from. Both methods, weight-only
 * and calibrated, set up a layer through it.
 *
 * @param bpw  target bits per weight over the compressed layers (ignored when {@code rank} is set)
 * @param rank fixed rank for every layer, or null to derive it from {@code bpw}
 * @param plan ranks planned over the whole model by layer name ({@link RankPlanner#plan}), or null:
 *             then each layer gets the largest rank within {@code bpw} on its own
 */
public record LayerEncoding(Packing packing, ScaleEncoding scales, Rotation rotation, double bpw, Integer rank, long seed,
                            Map<String, Integer> plan) {
    public static final double DEFAULT_BPW = 2.2;

    /** Without a plan. */
    public LayerEncoding(Packing packing, ScaleEncoding scales, Rotation rotation, double bpw, Integer rank, long seed) {
        this(packing, scales, rotation, bpw, rank, seed, null);
    }

    /** This encoding with ranks planned over the model. */
    public LayerEncoding withPlan(Map<String, Integer> ranks) {
        return new LayerEncoding(packing, scales, rotation, bpw, rank, seed, Map.copyOf(ranks));
    }

    /** The rank of the m × n layer {@code name}: {@code rank}, the plan's, or the largest within {@code bpw} for the layer alone. */
    public int rankFor(String name, int m, int n) {
        if (rank != null) return Math.min(rank, Math.min(m, n));
        if (plan != null && plan.containsKey(name)) return plan.get(name);
        return RankPlanner.rankFor(m, n, bpw, scales.bits(), packing);
    }

    /** The seed of the layer named {@code name}: the run's seed mixed with the name, so layers differ and runs repeat. */
    public long layerSeed(String name) {
        return seed * 0x9E3779B97F4A7C15L ^ name.hashCode();
    }

    /** The input rotation of a layer with {@code cols} inputs and this layer seed, or null for none. */
    public Hadamard rotationFor(int cols, long layerSeed) {
        return rotation == Rotation.HADAMARD ? Hadamard.of(cols, layerSeed) : null;
    }

    /** Whether scales are rounded to float16 as they are fitted (they are stored so). */
    public boolean halfScales() { return scales == ScaleEncoding.ROW_F16; }

    /** A fitted m × n layer of rank r in this encoding ({@code t} ternary row-major; a, b and the scales exactly as stored). */
    public CompressedLayer pack(String name, int m, int n, int r, float[] s, byte[] t, float[] a, float[] b, Hadamard rot) {
        return CompressedLayer.encode(name, m, n, r, packing, scales, s, t, a, b, rot);
    }
}
