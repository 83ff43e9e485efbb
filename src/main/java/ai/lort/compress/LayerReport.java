package ai.lort.compress;

/**
 * One compressed layer's line in the report, and its record in the file's index.
 * @param outputError {@code ‖(W − Ŵ)X‖/‖WX‖} on the calibration inputs X (NaN without calibration)
 */
public record LayerReport(String name, int rows, int cols, int rank, double relativeError,
                          double ternaryOnlyError, double bitsPerWeight, int iterations, double seconds,
                          double outputError) {
    public LayerReport(String name, int rows, int cols, int rank, double relativeError,
                       double ternaryOnlyError, double bitsPerWeight, int iterations, double seconds) {
        this(name, rows, cols, rank, relativeError, ternaryOnlyError, bitsPerWeight, iterations, seconds, Double.NaN);
    }
}
