package ai.lort.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.load.DType;
import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import ai.lort.testing.TestModels;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/JSON.md is the schema of every command's {@code --json} output: each command is run here,
 * its stdout must be exactly one JSON document, every field it prints must be in the command's
 * table with the documented type, and every field the table marks "always" must be printed.
 */
class JsonSchemaDocTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| (\\w+) \\| ([^|]*) \\|");
    /** Per command (its "## name" section): documented path → {type, when}. */
    private static Map<String, Map<String, String[]>> schema;
    @TempDir static Path tmp;

    @BeforeAll
    static void readDoc() throws IOException {
        schema = new TreeMap<>();
        String section = null;
        for (String line : Files.readAllLines(Path.of("docs/JSON.md"))) {
            if (line.startsWith("## ")) section = line.substring(3).strip();
            Matcher m = ROW.matcher(line);
            if (section != null && m.find()) schema.computeIfAbsent(section, k -> new LinkedHashMap<>()).put(m.group(1), new String[] {m.group(2), m.group(3).strip()});
        }
        assertThat(schema).containsKeys("compress", "report", "export", "heal", "eval", "infer", "tokenize");
    }

    /** Runs a command and checks its stdout against the command's table. */
    private static JsonNode check(String command, String... args) throws IOException {
        Cli.Result r = Cli.run(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode doc = JSON.readTree(r.out()); // fails on anything after the document
        Map<String, String[]> fields = schema.get(command);
        Map<String, JsonNode> leaves = new TreeMap<>();
        flatten("", doc, leaves);
        for (Map.Entry<String, JsonNode> e : leaves.entrySet()) {
            String path = e.getKey();
            String[] spec = fields.get(path);
            if (spec == null) spec = wildcard(fields, path);
            assertThat(spec).as(command + ": field " + path + " is not in docs/JSON.md").isNotNull();
            if (!spec[0].equals("any")) assertThat(type(e.getValue())).as(command + ": type of " + path).isIn(spec[0], spec[0].equals("number") ? "integer" : spec[0]);
        }
        for (Map.Entry<String, String[]> f : fields.entrySet()) {
            if (!f.getValue()[1].equals("always")) continue;
            String p = f.getKey().replace(".*", "");
            boolean arrayElement = p.contains("[]");
            boolean present = leaves.keySet().stream().anyMatch(k -> k.equals(p) || k.startsWith(p + ".") || k.startsWith(p + "["))
                    || arrayElement && emptyArray(doc, p.substring(0, p.indexOf("[]")));
            assertThat(present).as(command + ": documented as always present: " + f.getKey()).isTrue();
        }
        return doc;
    }

    private static String[] wildcard(Map<String, String[]> fields, String path) {
        for (Map.Entry<String, String[]> f : fields.entrySet())
            if (f.getKey().endsWith(".*") && path.startsWith(f.getKey().substring(0, f.getKey().length() - 1))) return f.getValue();
        return null;
    }

    private static boolean emptyArray(JsonNode doc, String path) {
        JsonNode n = doc;
        for (String part : path.split("\\.")) n = n.path(part);
        return n.isArray() && n.isEmpty();
    }

    private static void flatten(String prefix, JsonNode n, Map<String, JsonNode> out) {
        if (n.isObject()) n.properties().forEach(e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out));
        else if (n.isArray()) n.forEach(e -> flatten(prefix + "[]", e, out));
        else out.put(prefix, n);
    }

    private static String type(JsonNode n) {
        if (n.isIntegralNumber()) return "integer";
        if (n.isNumber()) return "number";
        if (n.isTextual()) return "string";
        if (n.isBoolean()) return "boolean";
        return "null";
    }

    @Test
    void compressReportAndExportPrintWhatTheDocSays() throws IOException {
        Path model = SharedData.require("models/stories260K");
        String[] docs = Files.readString(SharedData.require("data/tinystories-valid-excerpt.txt")).split("<\\|endoftext\\|>\n");
        Path text = Files.writeString(tmp.resolve("two.txt"), String.join("<|endoftext|>\n", List.of(docs).subList(0, 2)));
        Path lort = tmp.resolve("s.lort");
        JsonNode summary = check("compress", "compress", "-m", model.toString(), "--min-dim", "64", "--calibration", text.toString(), "--calibration-length", "32",
                "--sweeps", "1", "--heal-steps", "3", "--heal-batch", "2", "--heal-length", "32", "--eval", text.toString(), "--report", tmp.resolve("s.html").toString(), "-o", lort.toString(), "--json", "-q");
        assertThat(summary.has("eval") && summary.has("sample") && summary.has("calibration_time")).isTrue();
        Path run = Files.writeString(tmp.resolve("run.json"), summary.toString());
        check("report", "report", lort.toString(), "--run", run.toString(), "--json", "-q");
        check("export", "export", lort.toString(), "-o", tmp.resolve("hf").toString(), "--json", "-q");
        check("heal", "heal", lort.toString(), "--model", model.toString(), "-o", tmp.resolve("h.lort").toString(), "--heal-steps", "2",
                "--heal-batch", "2", "--heal-length", "32", "--json", "-q");
        check("export", "export", lort.toString(), "--to", "peft", "-o", tmp.resolve("peft").toString(), "--json", "-q");
        check("eval", "eval", "--model", lort.toString(), "--text", text.toString(), "--json");
        check("infer", "infer", "--model", lort.toString(), "--prompt", "Once upon a time", "--max-tokens", "8", "--temperature", "0", "--json");
        check("tokenize", "tokenize", "--model", lort.toString(), "--text", "Once upon a time", "--json");
    }

    @Test
    void theWeightOnlyMethodAndAFileAloneToo() throws IOException {
        Path model = TestModels.singleFile(tmp.resolve("m"), DType.BF16);
        Path lort = tmp.resolve("m.lort");
        JsonNode summary = check("compress", "compress", "-m", model.toString(), "--method", "als", "-o", lort.toString(), "--json", "-q");
        assertThat(summary.has("calibration_time") || summary.has("eval") || summary.has("sample")).isFalse();
        JsonNode report = check("report", "report", lort.toString(), "--json", "-q");
        assertThat(report.at("/run/stages")).isEmpty();
        List<String> kinds = new ArrayList<>();
        report.get("layers").forEach(l -> kinds.add(l.get("kind").asText()));
        assertThat(kinds).containsOnly("q", "o", "gate", "up", "down");
    }
}
