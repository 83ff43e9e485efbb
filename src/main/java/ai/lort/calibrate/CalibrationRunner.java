package ai.lort.calibrate;

import ai.lort.format.CompressedLayer;
import ai.lort.run.Backend;
import ai.lort.run.CpuBackend;
import ai.lort.run.LlamaModel;
import ai.lort.run.LlamaModel.Site;
import ai.lort.run.OverlayWeights;
import ai.lort.run.WeightSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Sequential calibration: walks the decoder layer by layer, projection group by projection group
 * in execution order (q/k/v, o, gate/up, down), with two residual streams of the calibration
 * sequences side by side: the original model's and the partly compressed model's. For each group
 * it accumulates, in double, {@code H = XᵀX/N} of the compressed stream's input X and
 * {@code C = X_fpᵀX/N} against the original stream's input, hands them to the group compressor,
 * and swaps the compressed weights in before the next group runs; so every layer is fitted to the
 * inputs it will really see. Activations of a group's input are never stored whole (down_proj's
 * are intermediate-size wide): they are folded into H and C one batch at a time.
 *
 * <p>The transformer math is {@link LlamaModel}'s own ({@link LlamaModel#runLayer}).
 */
public final class CalibrationRunner implements AutoCloseable {
    /** Compresses the weights {@code names} (one group, same input) given H and C, n × n row-major. */
    public interface GroupCompressor {
        Map<String, CompressedLayer> compress(List<String> names, double[] h, double[] c, int n, long tokens);
    }

    private final LlamaModel original, compressed;
    private final WeightSource overlay;
    private final Map<String, CompressedLayer> swapped = new HashMap<>();

    public CalibrationRunner(WeightSource weights, int threads, int context) {
        this.original = LlamaModel.load(weights, new CpuBackend(threads), context);
        this.overlay = new OverlayWeights(weights, swapped);
        this.compressed = LlamaModel.load(overlay, new CpuBackend(threads), context);
    }

    /** The original model (for generating calibration text). */
    public LlamaModel original() { return original; }

    /**
     * Compresses every weight accepted by {@code selected} that one of the {@link Site}s reads, in
     * execution order. Sequences must fit the context given to the constructor.
     */
    public void run(List<int[]> sequences, Predicate<String> selected, GroupCompressor compressor) {
        float[][][] xq = new float[sequences.size()][][], xfp = new float[sequences.size()][][];
        long tokens = 0;
        for (int s = 0; s < sequences.size(); s++) {
            xfp[s] = original.embed(sequences.get(s));
            xq[s] = new float[xfp[s].length][];
            for (int t = 0; t < xq[s].length; t++) xq[s][t] = xfp[s][t].clone();
            tokens += xq[s].length;
        }
        for (int l = 0; l < original.layerCount(); l++) {
            for (Site site : Site.values()) {
                List<String> names = site.weights(l).stream().filter(selected).toList();
                if (names.isEmpty()) continue;
                Moments mo = moments(l, site, xq, xfp);
                Map<String, CompressedLayer> done = compressor.compress(names, mo.h, mo.c, mo.n, tokens);
                for (String name : names) {
                    swapped.put(name, done.get(name));
                    compressed.replaceWeight(name, overlay);
                }
            }
            advance(original, l, xfp);
            advance(compressed, l, xq);
        }
    }

    private record Moments(double[] h, double[] c, int n) {}

    /** H and C of group {@code site} of layer l over all sequences. */
    private Moments moments(int l, Site site, float[][][] xq, float[][][] xfp) {
        int batch = original.batch();
        float[][] inQ = null, inFp = null;
        double[] h = null, c = null;
        int n = 0;
        long count = 0;
        for (int s = 0; s < xq.length; s++) {
            for (int from = 0; from < xq[s].length; from += batch) {
                int rows = Math.min(batch, xq[s].length - from);
                float[][] fp = capture(original, l, site, xfp[s], from, rows);
                float[][] q = capture(compressed, l, site, xq[s], from, rows);
                if (h == null) {
                    n = q[0].length;
                    h = new double[n * n];
                    c = new double[n * n];
                }
                accumulate(q, fp, rows, n, h, c);
                count += rows;
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) h[j * n + i] = h[i * n + j];
        double inv = 1.0 / count;
        for (int i = 0; i < h.length; i++) { h[i] *= inv; c[i] *= inv; }
        return new Moments(h, c, n);
    }

    /** Runs layer l on rows [from, from + rows) of a stream up to {@code site}; returns the site's input rows. */
    private static float[][] capture(LlamaModel model, int l, Site site, float[][] stream, int from, int rows) {
        float[][][] out = new float[1][][];
        Backend backend = model.backend();
        model.runLayer(l, stream, from, rows, from, false, (at, input, n) -> {
            if (at != site) return true;
            out[0] = new float[n][input.cols()];
            for (int t = 0; t < n; t++) backend.read(input, t, out[0][t]);
            return false;
        });
        return out[0];
    }

    /** {@code H += XᵀX} (upper triangle) and {@code C += X_fpᵀX}. */
    static void accumulate(float[][] x, float[][] xfp, int rows, int n, double[] h, double[] c) {
        for (int t = 0; t < rows; t++) {
            float[] xt = x[t], ft = xfp[t];
            for (int i = 0; i < n; i++) {
                double xi = xt[i], fi = ft[i];
                int io = i * n;
                if (xi != 0) for (int j = i; j < n; j++) h[io + j] += xi * xt[j];
                if (fi != 0) for (int j = 0; j < n; j++) c[io + j] += fi * xt[j];
            }
        }
    }

    /** Moves a stream through layer l (whole layer, rows updated in place). */
    private static void advance(LlamaModel model, int l, float[][][] streams) {
        for (float[][] seq : streams)
            for (int from = 0; from < seq.length; from += model.batch())
                model.runLayer(l, seq, from, Math.min(model.batch(), seq.length - from), from, true, null);
    }

    @Override
    public void close() {
        original.close();
        compressed.close();
    }
}
