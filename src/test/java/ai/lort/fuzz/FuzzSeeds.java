package ai.lort.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** The committed inputs of a fuzz target: src/test/resources/fuzz/TARGET (seeds and regressions). */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    public static List<Path> of(String target) {
        Path dir = Path.of("src/test/resources/fuzz", target);
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs a target once over its committed inputs: from a fuzzer's {@code fuzzerInitialize}, so
     * that class loading and instrumentation happen before the per-input timeout applies.
     */
    public static void warmUp(String target, Consumer<byte[]> run) {
        List<byte[]> inputs = new java.util.ArrayList<>();
        for (Path p : of(target)) {
            try {
                inputs.add(Files.readAllBytes(p));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        // Mutated inputs too, so that the error paths' classes are loaded as well; what fails here
        // is found again (and reported) by the fuzzer itself.
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < inputs.size() + 300; i++) {
            byte[] in = i < inputs.size() ? inputs.get(i) : mutate(inputs.get(rnd.nextInt(inputs.size())), inputs.get(rnd.nextInt(inputs.size())), rnd);
            try {
                run.accept(in);
            } catch (Throwable ignored) {
                // reported by the fuzzer when it meets it
            }
        }
    }

    private static final byte[] INTERESTING = {0, 1, (byte) 0x7F, (byte) 0x80, (byte) 0xFF, '-', '9', '"', '{', ']', '.', 'e'};

    /** One to four random edits of {@code a} (bit flips, interesting bytes, cuts, copies), sometimes spliced with {@code b}. */
    public static byte[] mutate(byte[] a, byte[] b, java.util.Random rnd) {
        byte[] x = a.clone();
        for (int edits = 1 + rnd.nextInt(4); edits > 0; edits--) {
            if (x.length == 0) x = new byte[] {INTERESTING[rnd.nextInt(INTERESTING.length)]};
            int at = rnd.nextInt(x.length);
            switch (rnd.nextInt(6)) {
                case 0 -> x[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> x[at] = INTERESTING[rnd.nextInt(INTERESTING.length)];
                case 2 -> x = java.util.Arrays.copyOf(x, at); // cut the tail
                case 3 -> { // delete a run
                    int n = Math.min(x.length - at, 1 + rnd.nextInt(16));
                    byte[] y = new byte[x.length - n];
                    System.arraycopy(x, 0, y, 0, at);
                    System.arraycopy(x, at + n, y, at, x.length - at - n);
                    x = y;
                }
                case 4 -> { // copy a run elsewhere
                    int n = Math.min(x.length - at, 1 + rnd.nextInt(16)), to = rnd.nextInt(x.length);
                    System.arraycopy(x.clone(), at, x, to, Math.min(n, x.length - to));
                }
                default -> { // splice: a's head, b's tail
                    int cut = b.length == 0 ? 0 : rnd.nextInt(b.length);
                    byte[] y = java.util.Arrays.copyOf(x, at + b.length - cut);
                    System.arraycopy(b, cut, y, at, b.length - cut);
                    x = y;
                }
            }
        }
        return x;
    }
}
