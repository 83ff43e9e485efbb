package ai.lort.report;

import ai.lort.format.CompressedLayer;
import ai.lort.util.Parallel;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One compressed layer as the report shows it: where it sits (decoder block and projection kind),
 * what it stores, what its fit measured (from the file's per-layer {@code info}), and the histogram
 * of its ternary codes.
 *
 * @param block       the decoder block ({@code layers.N.}), or -1 outside the blocks (an output head)
 * @param kind        q, k, v, o, gate, up, down, or other
 * @param weightError {@code ‖W − Ŵ‖/‖W‖}, NaN when the file does not say
 * @param outputError {@code ‖(W − Ŵ)X‖/‖WX‖} on the calibration inputs, NaN without calibration
 * @param codes       how many codes are −1, 0 and +1
 */
public record LayerRow(String name, int block, String kind, int rows, int cols, int rank, double bitsPerWeight,
                       double weightError, double outputError, long[] codes) {
    /** The projection kinds in the order of a decoder block, then everything else. */
    public static final List<String> KINDS = List.of("q", "k", "v", "o", "gate", "up", "down", "other");

    private static final Pattern BLOCK = Pattern.compile("(?:^|\\.)(?:layers|h|blocks|block|layer)\\.(\\d+)\\.");

    public long weights() { return (long) rows * cols; }

    public double share(int code) {
        long n = codes[0] + codes[1] + codes[2];
        return n == 0 ? 0 : (double) codes[code + 1] / n;
    }

    public double zeroShare() { return share(0); }

    static LayerRow of(CompressedLayer l, JsonNode info, int threads) {
        return new LayerRow(l.name(), block(l.name()), kind(l.name()), l.rows(), l.cols(), l.rank(), l.bitsPerWeight(),
                info.path("relative_error").asDouble(Double.NaN), info.path("output_error").asDouble(Double.NaN), countCodes(l, threads));
    }

    static int block(String name) {
        Matcher m = BLOCK.matcher(name);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    static String kind(String name) {
        String[] parts = name.split("\\.");
        String module = parts.length >= 2 && parts[parts.length - 1].equals("weight") ? parts[parts.length - 2] : parts[parts.length - 1];
        return switch (module) {
            case "q_proj", "wq", "query" -> "q";
            case "k_proj", "wk", "key" -> "k";
            case "v_proj", "wv", "value" -> "v";
            case "o_proj", "wo", "out_proj" -> "o";
            case "gate_proj", "w1" -> "gate";
            case "up_proj", "w3" -> "up";
            case "down_proj", "w2" -> "down";
            default -> "other";
        };
    }

    /** Counts of −1, 0 and +1 over the layer's codes, rows split over {@code threads}. */
    static long[] countCodes(CompressedLayer l, int threads) {
        AtomicLongArray counts = new AtomicLongArray(3);
        Parallel.forRanges(l.rows(), 64, threads, (from, to) -> {
            byte[] packed = new byte[l.packing().rowBytes(l.cols())], t = new byte[l.cols()];
            long[] local = new long[3];
            for (int i = from; i < to; i++) {
                l.ternaryRow(i, packed, t);
                for (byte v : t) local[v + 1]++;
            }
            for (int c = 0; c < 3; c++) counts.addAndGet(c, local[c]);
        });
        return new long[] {counts.get(0), counts.get(1), counts.get(2)};
    }
}
