package ai.lort.engine.cuda;

import ai.lort.LortException;
import java.util.Locale;

/** The {@code --device} option of {@code lort infer} and {@code lort eval}. */
public enum DeviceChoice {
    /** CUDA when a GPU is usable, else the CPU; says which on stderr. */
    AUTO,
    CPU,
    CUDA;

    /** Parses {@code auto}, {@code cpu} or {@code cuda} (any case). */
    public static DeviceChoice parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new LortException("--device must be auto, cpu or cuda, not '" + s + "'");
        }
    }

    @Override
    public String toString() { return name().toLowerCase(Locale.ROOT); }
}
