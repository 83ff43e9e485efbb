package ai.lort.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Copies class folders for bin/fuzz with each class file's major version lowered to 65 (Java 21):
 * the fuzzer's bytecode instrumentation reads class files up to that version, and javac's
 * release-25 output uses no class-file feature newer than it, so the JVM runs the copies the same.
 * Usage: {@code ClassFiles OUT DIR...}.
 */
public final class ClassFiles {
    private static final int MAJOR = 65;

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        for (int i = 1; i < args.length; i++) {
            Path root = Path.of(args[i]);
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Path target = out.resolve(root.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                        continue;
                    }
                    byte[] b = Files.readAllBytes(p);
                    if (p.toString().endsWith(".class") && b.length > 8 && (b[6] & 0xFF) << 8 == 0 && (b[7] & 0xFF) > MAJOR) b[7] = (byte) MAJOR;
                    Files.write(target, b);
                }
            }
        }
    }
}
