package ai.lort.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EvalCommandTest {
    @TempDir Path tmp;

    static String[] run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void jsonPerplexityOfTokenIdsMatchesTransformers() throws Exception {
        Path dir = SharedData.require("models/tiny-qwen2");
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        StringBuilder ids = new StringBuilder();
        ref.get("input_ids").forEach(id -> ids.append(id.asInt()).append(ids.length() % 7 == 0 ? "\n" : " "));
        Path file = tmp.resolve("ids.txt");
        Files.writeString(file, ids);
        String[] r = run("eval", "--model", dir.toString(), "--tokens", file.toString(), "--ctx", "200", "--json", "--threads", "2");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        JsonNode got = new ObjectMapper().readTree(r[1]);
        assertThat(got.get("tokens").asInt()).isEqualTo(199);
        assertThat(got.get("perplexity").asDouble()).isCloseTo(ref.get("nll").get("perplexity").asDouble(), org.assertj.core.data.Offset.offset(5e-5));
    }

    @Test
    void badIdsFileIsAOneLineError() throws Exception {
        Path dir = SharedData.require("models/tiny-qwen2");
        Path file = tmp.resolve("ids.txt");
        Files.writeString(file, "1 2 three");
        String[] r = run("eval", "--model", dir.toString(), "--tokens", file.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("'three' is not a token id");
    }

    @Test
    void greedyInferOfStories260KPrintsTheReferenceIds() {
        Path dir = SharedData.require("models/stories260K");
        String[] r = run("infer", "--model", dir.toString(), "--prompt-ids", "1,403,407,261,378", "--temperature", "0", "--max-tokens", "10");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].strip()).isEqualTo("432 383 286 261 376 298 315 421 395 317");
    }

    @Test
    void textIsTokenizedWithBosLikeTheReferenceIds() throws Exception {
        Path dir = SharedData.require("models/stories260K");
        Path data = SharedData.require("data");
        // The first story, stripped, and its reference ids (<s> + the story's ids), as data/README.md describes.
        String story = Files.readString(data.resolve("tinystories-valid-excerpt.txt")).split("<\\|endoftext\\|>")[0].strip();
        String ids = Files.readString(data.resolve("tinystories-valid-excerpt.tok512.txt")).lines().findFirst().orElseThrow();
        Path text = tmp.resolve("story.txt"), tokens = tmp.resolve("story.ids");
        Files.writeString(text, story);
        Files.writeString(tokens, ids);
        String[] a = run("eval", "--model", dir.toString(), "--text", text.toString(), "--json");
        String[] b = run("eval", "--model", dir.toString(), "--tokens", tokens.toString(), "--json");
        assertThat(a[0]).as(a[2]).isEqualTo("0");
        assertThat(a[1]).isEqualTo(b[1]);
        assertThat(new ObjectMapper().readTree(a[1]).get("tokens").asInt()).isEqualTo(ids.split(" ").length - 1);
    }
}
