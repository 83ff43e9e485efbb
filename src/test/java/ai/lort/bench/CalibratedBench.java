package ai.lort.bench;

import ai.lort.decompose.CalibratedDecomposer;
import ai.lort.decompose.RankPlanner;
import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.kernel.Gemm;
import java.util.Locale;
import java.util.Random;

/**
 * Where the calibrated method's time goes on Qwen2.5-0.5B shapes, per layer: the statistics
 * ({@code H = XᵀX/N}, and {@code W·C}) on {@code tokens} random activations, and one
 * decomposition at the rank the default budget gives. Usage: {@code CalibratedBench [tokens] [threads] [alternations] [sweeps]}.
 * Prints wall seconds and the process's CPU seconds (all threads): on a shared machine the CPU
 * time, divided by the threads, says what a quiet machine would take.
 */
public final class CalibratedBench {
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static void main(String[] args) {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int alternations = args.length > 2 ? Integer.parseInt(args[2]) : ai.lort.calibrate.Calibration.DEFAULT_ALTERNATIONS;
        int sweeps = args.length > 3 ? Integer.parseInt(args[3]) : ai.lort.calibrate.Calibration.DEFAULT_SWEEPS;
        int[][] shapes = {{896, 896}, {128, 896}, {4864, 896}, {896, 4864}}; // q/o, k/v, gate/up, down (out × in)
        for (int[] s : shapes) {
            int m = s[0], n = s[1];
            Random rnd = new Random(1);
            float[] x = new float[tokens * n], xfp = new float[tokens * n];
            for (int t = 0; t < tokens; t++)
                for (int j = 0; j < n; j++) {
                    x[t * n + j] = (float) rnd.nextGaussian() * (1 + j % 5);
                    xfp[t * n + j] = x[t * n + j] + 0.1f * (float) rnd.nextGaussian();
                }
            float[] w = new float[m * n];
            for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.02f;
            long t0 = System.nanoTime();
            float[] h = new float[n * n], c = new float[n * n], wc = new float[m * n];
            Gemm.syrk(n, tokens, 1f / tokens, x, 0, n, 0f, h, 0, n, threads);
            double hSeconds = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            Gemm.gemm(true, false, n, n, tokens, 1f / tokens, xfp, 0, n, x, 0, n, 0f, c, 0, n, threads);
            Gemm.gemm(false, false, m, n, n, 1f, w, 0, n, c, 0, n, 0f, wc, 0, n, threads);
            double cSeconds = (System.nanoTime() - t1) / 1e9;
            int rank = RankPlanner.rankFor(m, n, 2.2, 16, Packing.T3_B5);
            long t2 = System.nanoTime(), c2 = cpuNanos();
            var r = CalibratedDecomposer.decompose(w, m, n, h, wc, new CalibratedDecomposer.Options(0.5, rank, alternations, sweeps, true, threads), 1);
            double dec = (System.nanoTime() - t2) / 1e9, decCpu = (cpuNanos() - c2) / 1e9;
            System.out.printf(Locale.ROOT, "%5d x %-5d  H %.2f s, C and W·C %.2f s per %d tokens (%.1f s per 16K)  decompose rank %d: %.2f s wall, %.2f s CPU  (output error %.3f)%n",
                    m, n, hSeconds, cSeconds, tokens, (hSeconds + cSeconds) * 16384 / tokens, r.rank(), dec, decCpu, r.outputError());
        }
    }
}
