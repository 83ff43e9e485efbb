package ai.lort.decompose;

import ai.lort.pack.TernaryPacker;

/**
 * Bits per weight of a stored layer and the rank a bit budget allows. Counts what the file holds:
 * the packed codes including row padding, one scale per row (32 or 16 bits), and FP16 factors.
 */
public final class RankPlanner {
    private RankPlanner() {}

    /** Stored bits of an m × n layer of rank r with float32 row scales, divided by m·n. */
    public static double bitsPerWeight(int m, int n, int r) {
        return bitsPerWeight(m, n, r, 32);
    }

    /** Stored bits of an m × n layer of rank r with {@code scaleBits}-bit row scales, divided by m·n. */
    public static double bitsPerWeight(int m, int n, int r, int scaleBits) {
        return bitsPerWeight(m, n, r, scaleBits, ai.lort.format.CompressedLayer.PACKING_T2_G64);
    }

    /** Stored bits of an m × n layer of rank r, scales and packing as given, divided by m·n. */
    public static double bitsPerWeight(int m, int n, int r, int scaleBits, String packing) {
        double bits = 8.0 * m * ai.lort.format.CompressedLayer.rowBytes(packing, n) + (double) scaleBits * m + 16.0 * r * ((double) m + n);
        return bits / ((double) m * n);
    }

    /** The largest rank whose layer (float32 scales) stays within {@code targetBpw}; 0 when none does. */
    public static int rankFor(int m, int n, double targetBpw) {
        return rankFor(m, n, targetBpw, 32);
    }

    /** The largest rank whose layer stays within {@code targetBpw}; 0 when none does. */
    public static int rankFor(int m, int n, double targetBpw, int scaleBits) {
        return rankFor(m, n, targetBpw, scaleBits, ai.lort.format.CompressedLayer.PACKING_T2_G64);
    }

    /** The largest rank whose layer stays within {@code targetBpw}; 0 when none does. */
    public static int rankFor(int m, int n, double targetBpw, int scaleBits, String packing) {
        double fixed = 8.0 * m * ai.lort.format.CompressedLayer.rowBytes(packing, n) + (double) scaleBits * m;
        double budget = targetBpw * m * n - fixed;
        if (budget <= 0) return 0;
        int r = (int) Math.floor(budget / (16.0 * (m + n)));
        return Math.max(0, Math.min(r, Math.min(m, n)));
    }
}
