package ai.lort.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates {@code ../shared} (test models, tokenizers, text). On a user's machine without it, tests
 * that need it are skipped with a message; under {@code CI=true} its absence fails them.
 */
public final class SharedData {
    private SharedData() {}

    public static Path root() {
        String env = System.getenv("LORT_SHARED");
        Path p = env != null ? Path.of(env) : Path.of("..", "shared");
        return p.toAbsolutePath().normalize();
    }

    /** Returns {@code shared/<relative>}, skipping the test (or failing under CI) when absent. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        boolean present = Files.exists(p);
        if (!present && "true".equalsIgnoreCase(System.getenv("CI")))
            throw new AssertionError("CI=true but shared test data is missing: " + p);
        assumeTrue(present, "skipped: shared test data not found at " + p + " (set LORT_SHARED to its folder)");
        return p;
    }
}
