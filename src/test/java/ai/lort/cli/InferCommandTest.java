package ai.lort.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import ai.lort.tokenizer.Tokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferCommandTest {
    @TempDir Path tmp;

    @Test
    void greedyTextOfStories260KIsTheReadmeSample() throws Exception {
        Path dir = SharedData.require("models/stories260K");
        JsonNode g = new ObjectMapper().readTree(dir.resolve("reference.json").toFile()).get("greedy").get(0);
        int[] all = IntStream.concat(IntStream.of(TinyIds.ints(g.get("prompt_ids"))), IntStream.of(TinyIds.ints(g.get("continuation_ids")))).toArray();
        String want = Tokenizer.load(Tokenizer.folderFiles(dir)).decode(all, true);

        Cli.Result r = Cli.run("infer", "--model", dir.toString(), "--prompt", g.get("prompt_text").asText(),
                "--temperature", "0", "--max-tokens", "200", "--threads", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(want + System.lineSeparator());
        assertThat(r.err()).contains("prompt: 5 tokens").contains("generated: 200 tokens").contains("time to first token");
    }

    @Test
    void jsonHoldsTheGreedyContinuationAsOneDocument() throws Exception {
        Path dir = SharedData.require("models/stories260K");
        JsonNode g = new ObjectMapper().readTree(dir.resolve("reference.json").toFile()).get("greedy").get(0);
        Cli.Result r = Cli.run("infer", "--model", dir.toString(), "--prompt", g.get("prompt_text").asText(), "--temperature", "0", "--max-tokens", "20", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode doc = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(r.out());
        int[] want = java.util.Arrays.copyOf(TinyIds.ints(g.get("continuation_ids")), 20);
        assertThat(TinyIds.ints(doc.get("tokens"))).containsExactly(want);
        int[] all = IntStream.concat(IntStream.of(TinyIds.ints(g.get("prompt_ids"))), IntStream.of(want)).toArray();
        assertThat(g.get("prompt_text").asText() + doc.get("text").asText()).isEqualTo(Tokenizer.load(Tokenizer.folderFiles(dir)).decode(all, true));
        assertThat(doc.get("stop").asText()).isEqualTo("max_tokens");
        assertThat(doc.get("prompt_tokens").asInt()).isEqualTo(5);
        assertThat(Cli.run("infer", "--model", dir.toString(), "--json").err()).contains("--json needs --prompt");
    }

    @Test
    void chatKeepsTheConversationAndReusesItsCache() throws Exception {
        Path dir = chatModel();
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("Hello there\nWhat next?\n".getBytes(StandardCharsets.UTF_8)));
            Cli.Result r = Cli.run("infer", "--model", dir.toString(), "--temperature", "0", "--max-tokens", "8", "--system", "Be brief.");
            assertThat(r.exitCode()).as(r.err()).isZero();
            String[] reports = r.err().lines().filter(l -> l.startsWith("prompt:")).toArray(String[]::new);
            assertThat(reports).hasSize(2);
            assertThat(reports[0]).contains("(0 from cache)");
            assertThat(reports[1]).doesNotContain("(0 from cache)");
        } finally {
            System.setIn(stdin);
        }
        Cli.Result once = Cli.run("infer", "--model", dir.toString(), "--chat", "--prompt", "Hi", "--max-tokens", "4", "--seed", "3");
        assertThat(once.exitCode()).as(once.err()).isZero();
        assertThat(once.err()).contains("generated: ");
    }

    @Test
    void chatWithoutATemplateSaysSo() {
        Path dir = SharedData.require("models/stories260K");
        Cli.Result r = Cli.run("infer", "--model", dir.toString(), "--chat", "--prompt", "Hi");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("no chat template");
    }

    @Test
    void unsupportedArchitectureIsAOneLineError() throws Exception {
        Path dir = copy(SharedData.require("models/tiny-qwen2"));
        ObjectNode config = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        config.putArray("architectures").add("Phi3ForCausalLM");
        config.put("model_type", "phi3");
        Files.writeString(dir.resolve("config.json"), config.toString());
        Cli.Result r = Cli.run("infer", "--model", dir.toString(), "--prompt", "Hi");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("Phi3ForCausalLM").contains("not supported");
    }

    /** stories260K with a small chat template added to its tokenizer_config.json. */
    private Path chatModel() throws Exception {
        Path dir = copy(SharedData.require("models/stories260K"));
        ObjectNode tc = (ObjectNode) new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile());
        tc.put("chat_template", "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                + "{% if add_generation_prompt %}assistant:{% endif %}");
        Files.writeString(dir.resolve("tokenizer_config.json"), tc.toString());
        return dir;
    }

    private Path copy(Path from) throws Exception {
        Path dir = tmp.resolve(from.getFileName());
        Files.createDirectories(dir);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) if (Files.isRegularFile(f)) Files.copy(f, dir.resolve(f.getFileName()));
        }
        return dir;
    }

    /** Reads reference id arrays. */
    static final class TinyIds {
        static int[] ints(JsonNode a) {
            int[] out = new int[a.size()];
            for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
            return out;
        }
    }
}
