package ai.lort.decompose;

import ai.lort.format.CompressedLayer;

/**
 * One compressed layer as the methods deliver it: the stored layer and what its fit measured.
 *
 * @param weightError      {@code ‖W − Ŵ‖/‖W‖}
 * @param ternaryOnlyError the weight error of the ternary part alone (weight-only method; NaN otherwise)
 * @param outputError      {@code ‖(W − Ŵ)X‖/‖WX‖} on the calibration inputs X (calibrated method; NaN otherwise)
 * @param iterations       alternating-least-squares iterations run (weight-only method; 0 otherwise)
 * @param seconds          time the fit took
 */
public record LayerFit(CompressedLayer layer, double weightError, double ternaryOnlyError, double outputError,
                       int iterations, double seconds) {
    public String name() { return layer.name(); }

    public double bitsPerWeight() { return layer.bitsPerWeight(); }
}
