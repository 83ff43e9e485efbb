package ai.lort.decompose;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;

/**
 * The rank a bit budget allows a layer. Counts what the file holds: the packed codes including row
 * padding, one scale per row, and float16 factors ({@link CompressedLayer#bitsPerWeight}).
 */
public final class RankPlanner {
    private RankPlanner() {}

    /** The largest rank whose m × n layer stays within {@code targetBpw}; 0 when none does. */
    public static int rankFor(int m, int n, double targetBpw, int scaleBits, Packing packing) {
        double fixed = 8.0 * m * packing.rowBytes(n) + (double) scaleBits * m;
        double budget = targetBpw * m * n - fixed;
        if (budget <= 0) return 0;
        int r = (int) Math.floor(budget / (16.0 * (m + n)));
        return Math.max(0, Math.min(r, Math.min(m, n)));
    }
}
