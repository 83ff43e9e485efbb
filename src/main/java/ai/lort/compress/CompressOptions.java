package ai.lort.compress;

/**
 * What {@code lort compress} was asked to do.
 * @param bpw   target bits per weight over the compressed layers (ignored when {@code rank} is set)
 * @param rank  fixed rank for every layer, or null to derive it from {@code bpw}
 */
public record CompressOptions(int minDim, double bpw, Integer rank, int iterations, int threads, long seed,
                              boolean includeLmHead, boolean verbose, boolean quiet) {
    public static final double DEFAULT_BPW = 2.2;
    public static final int DEFAULT_ITERATIONS = 4;
}
