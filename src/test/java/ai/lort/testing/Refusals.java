package ai.lort.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * What the hardening tests check of every refused run (issue "Hardening"), and the tools to make
 * hostile inputs: exit code 1 (not 0, not 70), one line on stderr naming the problem, no stack
 * trace, the inputs unchanged, nothing new left in the output folder.
 */
public final class Refusals {
    private Refusals() {}

    /** SHA-256 of every regular file under {@code dir} (or of the file), by path. */
    public static TreeMap<String, String> hashes(Path dir) {
        TreeMap<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList())
                out.put(p.toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    /** The names in a folder. */
    public static List<String> names(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Exit 1, one stderr line containing every {@code expected} text, no stack trace. */
    public static void assertRefused(Cli.Result r, String... expected) {
        assertThat(r.exitCode()).as("exit code; stderr: " + r.err()).isEqualTo(1);
        List<String> lines = r.err().strip().lines().filter(l -> !l.startsWith("WARNING")).toList();
        assertThat(lines).as("stderr").hasSize(1);
        for (String e : expected) assertThat(lines.getFirst()).contains(e);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("internal error");
    }

    /** Rewrites the JSON index of a .lort file (as text) and puts its CRC and length right. */
    public static void editLortIndex(Path lort, UnaryOperator<String> edit) throws IOException {
        byte[] file = Files.readAllBytes(lort);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int off = (int) b.getLong(16), len = (int) b.getLong(24);
        byte[] json = edit.apply(new String(file, off, len, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[off + json.length];
        System.arraycopy(file, 0, out, 0, off);
        System.arraycopy(json, 0, out, off, json.length);
        ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        o.putLong(24, json.length);
        CRC32C crc = new CRC32C();
        crc.update(json);
        o.putInt(32, (int) crc.getValue());
        Files.write(lort, out);
    }

    /** Sets one byte of a file. */
    public static void setByte(Path file, long at, int value) throws IOException {
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(at);
            raf.write(value);
        }
    }

    public static int getByte(Path file, long at) throws IOException {
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "r")) {
            raf.seek(at);
            return raf.read();
        }
    }

    /** A safetensors file from a header written by hand and {@code dataBytes} zero bytes. */
    public static Path rawSafetensors(Path file, String header, int dataBytes) throws IOException {
        return rawSafetensors(file, header.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    public static Path rawSafetensors(Path file, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.createDirectories(file.getParent());
        Files.write(file, b.array());
        return file;
    }

    /** Copies a model folder's regular files (not sub-folders). */
    public static Path copyModel(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
                to.resolve(p.getFileName()).toFile().setWritable(true);
            }
        }
        return to;
    }
}
