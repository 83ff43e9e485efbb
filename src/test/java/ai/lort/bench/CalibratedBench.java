package ai.lort.bench;

import ai.lort.decompose.CalibratedDecomposer;
import java.util.Random;

/**
 * Where the calibrated method's time goes on Qwen2.5-0.5B shapes: H/C accumulation per token
 * (measured on {@code tokens} tokens, to be scaled to the calibration size) and one decomposition
 * per layer shape. Usage: {@code CalibratedBench [tokens] [threads]}.
 */
public final class CalibratedBench {
    public static void main(String[] args) {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int[][] shapes = {{896, 896}, {128, 896}, {4864, 896}, {896, 4864}}; // q/o, k/v, gate/up, down (out × in)
        for (int[] s : shapes) {
            int m = s[0], n = s[1];
            Random rnd = new Random(1);
            float[][] x = new float[32][n], xfp = new float[32][n];
            double[] h = new double[n * n], c = new double[n * n];
            long t0 = System.nanoTime();
            for (int done = 0; done < tokens; done += 32) {
                for (int t = 0; t < 32; t++) for (int j = 0; j < n; j++) { x[t][j] = (float) rnd.nextGaussian() * (1 + j % 5); xfp[t][j] = x[t][j] + 0.1f; }
                ai.lort.calibrate.CalibrationBenchAccess.accumulate(x, xfp, 32, n, h, c);
            }
            double acc = (System.nanoTime() - t0) / 1e9;
            for (int i = 0; i < n; i++) for (int j = i; j < n; j++) h[j * n + i] = h[i * n + j];
            for (int i = 0; i < h.length; i++) { h[i] /= tokens; c[i] /= tokens; }
            float[] w = new float[m * n];
            for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.02f;
            long t1 = System.nanoTime();
            var r = CalibratedDecomposer.decompose(w, m, n, h, c, new CalibratedDecomposer.Options(0.5, 2, 3, 4, true, threads), 1);
            double dec = (System.nanoTime() - t1) / 1e9;
            System.out.printf(java.util.Locale.ROOT, "%5d x %-5d  H+C accumulation %.2f s per %d tokens (%.1f s per 16K)  decompose rank %d: %.1f s  (output error %.3f)%n",
                    m, n, acc, tokens, acc * 16384 / tokens, r.rank(), dec, r.outputError());
        }
    }
}
