package ai.lort.compress;

import ai.lort.calibrate.Calibration;
import ai.lort.decompose.LayerEncoding;
import ai.lort.heal.HealOptions;
import java.nio.file.Path;

/**
 * What {@code lort compress} was asked to do.
 *
 * @param encoding    how each compressed layer is stored and its bit budget
 * @param iterations  alternating-least-squares iterations per layer (weight-only method)
 * @param calibration the calibrated method's options, or null for the weight-only method
 * @param eval        a text file whose documents' perplexity is measured on the original and the
 *                    compressed model at the end, or null
 * @param heal        how the fitted model is healed (distilled toward the original), or null for not at all
 * @param planRanks   plan the ranks over the whole model (else each layer gets what its own budget allows)
 * @param embeddings  how the embedding and the output head are stored when they are not compressed
 */
public record CompressOptions(int minDim, LayerEncoding encoding, int iterations, int threads,
                              boolean includeLmHead, boolean verbose, boolean quiet,
                              Calibration calibration, Path eval, HealOptions heal, boolean planRanks, EmbeddingFormat embeddings) {
    public boolean healing() { return heal != null && heal.enabled(); }

    public static final int DEFAULT_ITERATIONS = 4;
}
