package ai.lort.decompose;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.pack.Hadamard;
import ai.lort.util.Parallel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Supplier;

/**
 * The ranks a bit budget allows. Counts what the file holds: the packed codes including row
 * padding, one scale per row, and float16 factors ({@link CompressedLayer#bitsPerWeight}).
 *
 * <p>{@link #rankFor} gives one layer the largest rank within the budget on its own.
 * {@link #plan} spends the budget over the whole model instead: every layer's residual after a
 * ternary fit is measured, and ranks go one at a time to the layer whose next rank removes the most
 * relative error per bit, until the budget is spent. The layers' own leftovers, which a per-layer
 * floor wastes (a rank of a 64 × 64 layer costs half a bit per weight), then buy rank where it helps.
 */
public final class RankPlanner {
    /** Most ranks a layer is measured for, as a multiple of its own-budget rank (and at least {@link #MIN_CAP}). */
    static final int CAP_FACTOR = 4, MIN_CAP = 8;

    private RankPlanner() {}

    /** The largest rank whose m × n layer stays within {@code targetBpw}; 0 when none does. */
    public static int rankFor(int m, int n, double targetBpw, int scaleBits, Packing packing) {
        double fixed = 8.0 * m * packing.rowBytes(n) + (double) scaleBits * m;
        double budget = targetBpw * m * n - fixed;
        if (budget <= 0) return 0;
        int r = (int) Math.floor(budget / (16.0 * (m + n)));
        return Math.max(0, Math.min(r, Math.min(m, n)));
    }

    /** A layer to plan: its name, shape and weights (row-major, read when measured). */
    public record Layer(String name, int rows, int cols, Supplier<float[]> weights) {}

    /**
     * Ranks for {@code layers} whose stored bits, summed, stay within {@code encoding.bpw()} times
     * their weights: each layer's gains are the squared singular values of its ternary residual
     * {@code W − diag(s)·T} (in the rotated basis when the encoding rotates; the first ones, by a
     * randomized SVD), relative to {@code ‖W‖²}; the budget left after every layer's codes and scales
     * goes greedily to the largest gain per bit.
     */
    public static Map<String, Integer> plan(List<Layer> layers, LayerEncoding encoding, int threads) {
        int count = layers.size();
        double[][] gains = new double[count][];
        // Layers one after the other, each using the threads (its rows, its products).
        for (int i = 0; i < count; i++) gains[i] = gains(layers.get(i), encoding, threads);
        double budget = 0, spent = 0;
        for (Layer l : layers) {
            budget += encoding.bpw() * l.rows() * (double) l.cols();
            spent += 8.0 * l.rows() * encoding.packing().rowBytes(l.cols()) + (double) encoding.scales().bits() * l.rows();
        }
        double free = budget - spent;
        int[] rank = new int[count];
        // Next rank of each layer by gain per bit, best first; ties by layer order.
        PriorityQueue<int[]> next = new PriorityQueue<>((a, b) -> {
            int c = Double.compare(perBit(gains, layers, b[0], b[1]), perBit(gains, layers, a[0], a[1]));
            return c != 0 ? c : Integer.compare(a[0], b[0]);
        });
        for (int i = 0; i < count; i++) if (gains[i].length > 0) next.add(new int[] {i, 0});
        while (!next.isEmpty()) {
            int[] item = next.poll();
            int i = item[0];
            double cost = 16.0 * (layers.get(i).rows() + layers.get(i).cols());
            if (cost > free) continue; // this layer's ranks all cost the same: none more fits
            free -= cost;
            rank[i] = item[1] + 1;
            if (rank[i] < gains[i].length) next.add(new int[] {i, rank[i]});
        }
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < count; i++) out.put(layers.get(i).name(), rank[i]);
        return out;
    }

    private static double perBit(double[][] gains, List<Layer> layers, int i, int r) {
        return gains[i][r] / (16.0 * (layers.get(i).rows() + layers.get(i).cols()));
    }

    /** The squared singular values of a layer's ternary residual, relative to ‖W‖², the largest first. */
    static double[] gains(Layer l, LayerEncoding encoding, int threads) {
        int m = l.rows(), n = l.cols();
        int cap = Math.min(Math.min(m, n), Math.max(MIN_CAP, CAP_FACTOR * rankFor(m, n, encoding.bpw(), encoding.scales().bits(), encoding.packing())));
        float[] w = l.weights().get();
        long seed = encoding.layerSeed(l.name());
        Hadamard rot = encoding.rotationFor(n, seed);
        if (rot != null) rot.rotateRows(w, m, threads);
        double norm = 0;
        for (float v : w) norm += (double) v * v;
        if (!(norm > 0)) return new double[0];
        Parallel.forRanges(m, 16, threads, (from, to) -> {
            float[] row = new float[n];
            byte[] t = new byte[n];
            for (int i = from; i < to; i++) {
                System.arraycopy(w, i * n, row, 0, n);
                float s = TernaryFit.fitRow(row, 0, n, t, 0f, null);
                for (int j = 0; j < n; j++) w[i * n + j] -= s * t[j];
            }
        });
        double[] sigma = new RandomizedSvd(m, n, cap, seed, threads).compute(w, 2).singularValues();
        double[] g = new double[sigma.length];
        for (int k = 0; k < g.length; k++) g[k] = sigma[k] * sigma[k] / norm;
        return g;
    }
}
