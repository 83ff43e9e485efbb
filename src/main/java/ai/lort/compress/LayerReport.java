package ai.lort.compress;

/** One compressed layer's line in the report, and its record in the file's index. */
public record LayerReport(String name, int rows, int cols, int rank, double relativeError,
                          double ternaryOnlyError, double bitsPerWeight, int iterations, double seconds) {}
