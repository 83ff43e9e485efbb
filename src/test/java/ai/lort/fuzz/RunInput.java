package ai.lort.fuzz;

import java.nio.file.Files;
import java.nio.file.Path;

/** Runs one fuzz target on saved inputs and prints the time each takes: {@code RunInput CLASS FILE...}. */
public final class RunInput {
    public static void main(String[] args) throws Exception {
        var method = Class.forName(args[0]).getMethod("fuzzerTestOneInput", byte[].class);
        for (int i = 1; i < args.length; i++) {
            byte[] data = Files.readAllBytes(Path.of(args[i]));
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                method.invoke(null, (Object) data);
                System.out.printf("%s: %.1f ms%n", args[i], (System.nanoTime() - t0) / 1e6);
            }
        }
    }
}
