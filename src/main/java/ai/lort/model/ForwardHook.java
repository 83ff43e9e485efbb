package ai.lort.model;

import ai.lort.engine.Backend.Buffer;

/**
 * Sees a decoder layer from outside while it runs, so that the forward pass stays the model and
 * what watches it (calibration reads the inputs of the projection groups; healing will keep
 * activations) attaches here.
 */
public interface ForwardHook {
    /**
     * The input of {@code site}'s projections, rows {@code [0, n)}, just before they run.
     *
     * @return false to stop the layer here (the residual is left as it is at this point)
     */
    boolean input(Site site, Buffer input, int n);

    /** down_proj's output (bias included), rows {@code [0, n)}, before it is added to the residual. */
    default void mlpOutput(Buffer output, int n) {}
}
