package ai.lort.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.testing.SharedData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TokenizeCommandTest {
    record Run(int code, String out, String err) {}

    static Run lort(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void printsIdsWithTheBosTheConfigAdds() {
        String folder = SharedData.require("tokenizers/mistral").toString();
        assertThat(lort("tokenize", "--model", folder, "--text", "Hello, world!").out()).isEqualTo("1 22557 28725 1526 28808\n");
        assertThat(lort("tokenize", "--model", folder, "--text", "Hello, world!", "--no-special").out()).isEqualTo("22557 28725 1526 28808\n");
    }

    @Test
    void printsJsonWithTokenStrings(@TempDir Path tmp) throws Exception {
        // A folder holding only tokenizer.json is enough.
        Files.copy(SharedData.require("tokenizers/llama3/tokenizer.json"), tmp.resolve("tokenizer.json"));
        Path text = Files.writeString(tmp.resolve("in.txt"), "Hello, world!");
        Run r = lort("tokenize", "--model", tmp.toString(), "--file", text.toString(), "--json");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("{\"ids\":[9906,11,1917,0],\"tokens\":[\"Hello\",\",\",\"\\u0120world\",\"!\"]}\n");
    }

    @Test
    void rendersTheChatTemplate() {
        String folder = SharedData.require("tokenizers/qwen3").toString();
        Run r = lort("tokenize", "--model", folder, "--chat", "--text", "What is the capital of France?");
        assertThat(r.out()).isEqualTo("151644 872 198 3838 374 279 6722 315 9625 30 151645 198 151644 77091 198\n");
    }

    @Test
    void readsTheTokenizerEmbeddedInALortFile(@TempDir Path tmp) {
        Path model = SharedData.require("models/stories260K");
        Path out = tmp.resolve("s.lort");
        assertThat(ai.lort.testing.Cli.run("compress", "-m", model.toString(), "-o", out.toString(), "--min-dim", "64", "--method", "als", "--heal-steps", "0", "-q").exitCode()).isZero();
        assertThat(lort("tokenize", "--model", out.toString(), "--text", "Once upon a time").out()).isEqualTo("1 403 407 261 378\n");
    }

    @Test
    void explainsWhatIsWrong(@TempDir Path tmp) throws Exception {
        Run missing = lort("tokenize", "--model", tmp.toString(), "--text", "x");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("no tokenizer.json");
        Path lort = Files.writeString(tmp.resolve("m.lort"), "");
        assertThat(lort("tokenize", "--model", lort.toString(), "--text", "x").err()).contains("m.lort: not a valid .lort file: file is 0 bytes");
        Path other = Files.writeString(tmp.resolve("notes.txt"), "");
        assertThat(lort("tokenize", "--model", other.toString(), "--text", "x").err()).contains("is not a folder");
        assertThat(lort("tokenize", "--model", tmp.toString()).code()).isEqualTo(2);
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Unigram\"}}");
        assertThat(lort("tokenize", "--model", tmp.toString(), "--text", "x").err()).contains("model type Unigram is not supported");
    }
}
