package ai.lort.calibrate;

import java.nio.file.Path;

/**
 * Options of the calibrated method ({@code --method calibrated}).
 *
 * @param source       {@code "self"} (text the original model samples from BOS) or a text file
 * @param samples      self: sequences to sample; file: documents to use (≤ 0: all)
 * @param length       tokens per sequence at most (self-generated length; file documents are cut there)
 * @param beta         target-correction strength β
 * @param sweeps       coordinate-descent sweeps per ternary fit
 * @param alternations low-rank / ternary alternations when a layer has rank
 */
public record Calibration(String source, int samples, int length, double beta, int sweeps, int alternations) {
    public static final String SELF = "self";
    public static final int DEFAULT_SAMPLES = 64;
    public static final int DEFAULT_LENGTH = 256;
    public static final double DEFAULT_BETA = 0.5;
    public static final int DEFAULT_SWEEPS = 4;
    public static final int DEFAULT_ALTERNATIONS = 1;

    public boolean self() { return SELF.equals(source); }

    public Path file() { return Path.of(source); }
}
