package ai.lort.cli;

import ai.lort.LortException;

/** The range checks of numeric options; each option's --help states the same range. */
final class Ranges {
    private Ranges() {}

    static long check(String option, long value, long min, long max) {
        if (value < min || value > max) throw new LortException(option + " " + value + " is out of range; use " + min + " to " + max);
        return value;
    }

    /** NaN and infinities are out of every range. */
    static double check(String option, double value, double min, double max) {
        if (!(value >= min && value <= max)) throw new LortException(option + " " + value + " is out of range; use " + min + " to " + max);
        return value;
    }
}
