package ai.lort.calibrate;

/** Test-side access to the runner's accumulation kernel for benchmarks. */
public final class CalibrationBenchAccess {
    private CalibrationBenchAccess() {}

    public static void accumulate(float[][] x, float[][] xfp, int rows, int n, double[] h, double[] c) {
        CalibrationRunner.accumulate(x, xfp, rows, n, h, c);
    }
}
