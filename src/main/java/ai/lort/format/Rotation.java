package ai.lort.format;

import java.util.Arrays;
import java.util.Optional;

/** A layer's input rotation; {@link #id()} is the index's {@code "rotation"} (docs/FORMAT.md). */
public enum Rotation {
    NONE("none", 0),
    /** Seeded randomized block Hadamard transform of the input (format 1.1), see {@link ai.lort.pack.Hadamard}. */
    HADAMARD("hadamard", 1);

    private final String id;
    private final int sinceMinor;

    Rotation(String id, int sinceMinor) {
        this.id = id;
        this.sinceMinor = sinceMinor;
    }

    /** The name stored in the file and taken by {@code --rotation}. */
    public String id() { return id; }

    int sinceMinor() { return sinceMinor; }

    public static Optional<Rotation> byId(String id) {
        return Arrays.stream(values()).filter(r -> r.id.equals(id)).findFirst();
    }

    public static String ids() { return String.join(", ", Arrays.stream(values()).map(Rotation::id).toList()); }

    @Override
    public String toString() { return id; }
}
