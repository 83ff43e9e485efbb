package ai.lort.calibrate;

import ai.lort.LortException;
import ai.lort.engine.Backend.Buffer;
import ai.lort.engine.Backend;
import ai.lort.engine.cpu.CpuBackend;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.kernel.Gemm;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.kernel.PanelMatrix;
import ai.lort.load.PageCache;
import ai.lort.model.ForwardHook;
import ai.lort.model.LlamaModel;
import ai.lort.model.Site;
import ai.lort.weights.OverlayWeights;
import ai.lort.weights.WeightSource;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Sequential calibration: walks the decoder layer by layer, projection group by projection group
 * in execution order (q/k/v, o, gate/up, down), with two residual streams of the calibration
 * sequences side by side: the original model's and the partly compressed model's. For each group
 * it hands the group compressor {@link Moments}: {@code H = XᵀX/N} of the compressed stream's
 * input X and {@code W·C}, {@code C = X_fpᵀX/N} against the original stream's input, then swaps
 * the compressed weights in before the next group runs; so every layer is fitted to the inputs it
 * will really see.
 *
 * <p>Each stream runs through each layer once. The original stream runs the whole layer in one
 * pass, keeping the group inputs (and down_proj's output) that C needs. The compressed stream
 * stops at each group's input, keeps it for all tokens (N × width floats, the largest down_proj's
 * N × intermediate), and resumes from it once the group is compressed
 * ({@link LlamaModel#resumeLayer}). Compressed groups run as dense float reconstructions until
 * their layer is done (as {@link PanelMatrix}: decoded into the product's panels once for the 64
 * or so products of each, where the original stream reads its BF16 rows, half the bytes, as they
 * are), then as their packed form.
 *
 * <p>The transformer math is {@link LlamaModel}'s own; the statistics are {@link Gemm} products.
 */
public final class CalibrationRunner implements AutoCloseable {
    /** Compresses the weights {@code names} (one group, same input) given their calibration moments. */
    public interface GroupCompressor {
        Map<String, CompressedLayer> compress(List<String> names, Moments moments);
    }

    /** Tokens per layer call: large batches let the matrix products reuse each block of weights across many tokens. */
    private static final int BATCH = 256;

    /** Seconds spent so far in each part of {@link #run}. */
    public record Timings(double forward, double statistics, double compression) {}

    private final LlamaModel original, compressed;
    private final WeightSource weights, overlay;
    /** Weights swapped into the compressed model: dense reconstructions, then packed layers. */
    private final Map<String, Matrix> swapped = new HashMap<>();
    private final int threads;
    private double forwardSeconds, statisticsSeconds, compressionSeconds;

    public CalibrationRunner(WeightSource weights, int threads, int context) {
        this.weights = weights;
        this.threads = threads;
        int batch = Math.min(context, BATCH);
        this.original = LlamaModel.load(weights, new CpuBackend(threads), context, batch);
        this.overlay = new OverlayWeights(weights, swapped);
        this.compressed = LlamaModel.load(overlay, new CpuBackend(threads), context, batch);
    }

    /** The original model (for generating calibration text). */
    public LlamaModel original() { return original; }

    public Timings timings() { return new Timings(forwardSeconds, statisticsSeconds, compressionSeconds); }

    /**
     * Calibration statistics of one projection group over N tokens: {@code H = XᵀX/N} (n × n) of
     * the compressed model's inputs X, and per weight {@code W·C}, computed as {@code W·(X_fpᵀX/N)}
     * or, for down_proj (whose input is wider than its output), as {@code Y_fpᵀX/N} from the
     * original layer's outputs {@code Y_fp = X_fp·Wᵀ}.
     */
    public final class Moments {
        private final float[] x, xfp, yfp;
        private final int n, tokens;
        private float[] h, c;

        private Moments(float[] x, int n, int tokens, float[] xfp, float[] yfp) {
            this.x = x;
            this.n = n;
            this.tokens = tokens;
            this.xfp = xfp;
            this.yfp = yfp;
        }

        public int n() { return n; }

        public long tokens() { return tokens; }

        /** {@code XᵀX/N}, n × n, computed once; a caller that modifies it must copy it first. */
        public float[] h() {
            if (h == null) {
                long t0 = System.nanoTime();
                h = new float[n * n];
                Gemm.syrk(n, tokens, 1f / tokens, x, 0, n, 0f, h, 0, n, threads);
                statisticsSeconds += (System.nanoTime() - t0) / 1e9;
            }
            return h;
        }

        /** {@code W·C} for the group's weight w (m × n, row-major), m × n. */
        public float[] weightTimesC(float[] w, int m) {
            long t0 = System.nanoTime();
            float[] wc = new float[m * n];
            if (yfp != null) {
                if (yfp.length != (long) tokens * m) throw new IllegalArgumentException("down_proj has " + m + " rows, its outputs " + yfp.length / tokens);
                Gemm.gemm(true, false, m, n, tokens, 1f / tokens, yfp, 0, m, x, 0, n, 0f, wc, 0, n, threads);
            } else {
                if (c == null) {
                    c = new float[n * n];
                    Gemm.gemm(true, false, n, n, tokens, 1f / tokens, xfp, 0, n, x, 0, n, 0f, c, 0, n, threads);
                }
                Gemm.gemm(false, false, m, n, n, 1f, w, 0, n, c, 0, n, 0f, wc, 0, n, threads);
            }
            statisticsSeconds += (System.nanoTime() - t0) / 1e9;
            return wc;
        }
    }

    /**
     * Compresses every weight accepted by {@code selected} that one of the {@link Site}s reads, in
     * execution order. Sequences must fit the context given to the constructor.
     */
    public void run(List<int[]> sequences, Predicate<String> selected, GroupCompressor compressor) {
        long t0 = System.nanoTime();
        Streams fp = new Streams(original, sequences), q = new Streams(compressed, sequences);
        int widest = 0;
        for (Site s : Site.values()) widest = Math.max(widest, original.inputWidth(s));
        if ((long) fp.tokens * widest > Integer.MAX_VALUE - 8)
            throw new LortException(fp.tokens + " calibration tokens are too many to keep one layer's inputs (" + widest
                    + " wide); give fewer --calibration-samples or a smaller --calibration-length");
        forwardSeconds += (System.nanoTime() - t0) / 1e9;
        for (int l = 0; l < original.layerCount(); l++) {
            Map<Site, List<String>> groups = new EnumMap<>(Site.class);
            for (Site site : Site.values()) groups.put(site, site.weights(l).stream().filter(selected).toList());

            // The original stream, one pass through the whole layer, keeping what C needs.
            Map<Site, float[]> fpInputs = new EnumMap<>(Site.class);
            for (Site site : List.of(Site.QKV, Site.O, Site.GATE_UP))
                if (!groups.get(site).isEmpty()) fpInputs.put(site, new float[fp.tokens * original.inputWidth(site)]);
            float[] fpDownOutput = groups.get(Site.DOWN).isEmpty() ? null : new float[fp.tokens * original.config().hiddenSize()];
            fp.pass(l, Site.QKV, null, null, true, fpInputs, fpDownOutput);
            if (fpDownOutput != null) subtractBias(fpDownOutput, groups.get(Site.DOWN).get(0));

            // The compressed stream, stopping at each group's input and resuming from it.
            Map<String, CompressedLayer> layerDone = new HashMap<>();
            Site from = Site.QKV;
            float[] input = null;
            for (Site site : Site.values()) {
                // O's input needs attention over the KV cache, which only a run from the layer's start fills.
                Site start = site == Site.O ? Site.QKV : from;
                float[] x = q.pass(l, start, start == Site.QKV ? null : input, site, site == Site.GATE_UP, null, null);
                input = null; // the previous stage's input is spent; let it go before the decompositions
                List<String> names = groups.get(site);
                if (!names.isEmpty()) {
                    long c0 = System.nanoTime();
                    Moments moments = new Moments(x, original.inputWidth(site), q.tokens, fpInputs.get(site), site == Site.DOWN ? fpDownOutput : null);
                    double statsBefore = statisticsSeconds;
                    Map<String, CompressedLayer> done = compressor.compress(names, moments);
                    compressionSeconds += (System.nanoTime() - c0) / 1e9 - (statisticsSeconds - statsBefore);
                    for (String name : names) {
                        CompressedLayer c = done.get(name);
                        if (c == null) throw new IllegalStateException("the compressor returned no layer for " + name);
                        layerDone.put(name, c);
                        swapped.put(name, PanelMatrix.of(LortFile.reconstruct(c, threads), c.rows(), c.cols()));
                        compressed.replaceWeight(name, overlay);
                    }
                }
                fpInputs.remove(site);
                from = site;
                input = x;
            }
            q.pass(l, Site.DOWN, input, null, true, null, null);
            // Layer l is never run again here: its dense reconstructions give way to the packed layers,
            // and the pages of its original weights are handed back to the page cache.
            layerDone.forEach((name, c) -> {
                swapped.put(name, Matrices.compressed(c));
                compressed.replaceWeight(name, overlay);
            });
            for (Site site : Site.values())
                for (String name : site.weights(l)) PageCache.release(weights.tensor(name).data());
        }
    }

    /** Removes down_proj's bias (if it has one) from the original stream's MLP outputs: {@code Y_fp = X_fp·Wᵀ} without it. */
    private void subtractBias(float[] y, String downWeight) {
        String bias = downWeight.substring(0, downWeight.length() - "weight".length()) + "bias";
        if (!weights.has(bias)) return;
        float[] b = weights.vector(bias);
        for (int p = 0; p < y.length; p++) y[p] -= b[p % b.length];
    }

    /** The residual streams of all calibration sequences through one model. */
    private final class Streams {
        final LlamaModel model;
        final float[][][] rows;
        final int[] offsets;
        final int tokens;

        Streams(LlamaModel model, List<int[]> sequences) {
            this.model = model;
            rows = new float[sequences.size()][][];
            offsets = new int[sequences.size()];
            int total = 0;
            for (int s = 0; s < rows.length; s++) {
                rows[s] = model.embed(sequences.get(s));
                offsets[s] = total;
                total += rows[s].length;
            }
            tokens = total;
        }

        /**
         * Runs layer l from {@code start} (with that site's input {@code startInput}, all tokens) over
         * every sequence, until {@code stopAt} (null: the whole layer). Returns stopAt's input for all
         * tokens; also keeps the inputs of the sites in {@code keep} and down_proj's outputs into
         * {@code downOutput} when given.
         */
        float[] pass(int l, Site start, float[] startInput, Site stopAt, boolean update, Map<Site, float[]> keep, float[] downOutput) {
            long t0 = System.nanoTime();
            Backend backend = model.backend();
            float[] captured = stopAt == null ? null : new float[tokens * model.inputWidth(stopAt)];
            int batch = model.batch();
            int[] row = new int[1];
            ForwardHook hook = new ForwardHook() {
                @Override
                public boolean input(Site site, Buffer in, int n) {
                    float[] into = site == stopAt ? captured : keep == null ? null : keep.get(site);
                    if (into != null) for (int t = 0; t < n; t++) backend.read(in, t, into, (row[0] + t) * in.cols());
                    return site != stopAt;
                }

                @Override
                public void mlpOutput(Buffer out, int n) {
                    if (downOutput != null) for (int t = 0; t < n; t++) backend.read(out, t, downOutput, (row[0] + t) * out.cols());
                }
            };
            int width = start == Site.QKV ? 0 : model.inputWidth(start);
            for (int s = 0; s < rows.length; s++) {
                for (int from = 0; from < rows[s].length; from += batch) {
                    int n = Math.min(batch, rows[s].length - from);
                    row[0] = offsets[s] + from;
                    model.resumeLayer(l, start, rows[s], startInput, row[0] * width, from, n, from, update, hook);
                }
            }
            forwardSeconds += (System.nanoTime() - t0) / 1e9;
            return captured;
        }
    }

    @Override
    public void close() {
        original.close();
        compressed.close();
    }
}
