package ai.lort.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Embedded files: large ones zlib-compressed as docs/FORMAT.md says, small ones verbatim, both read back exactly. */
class EmbeddedFilesTest {
    @TempDir Path tmp;

    @Test
    void aLargeFileIsStoredAsOneZlibStreamOfItsStatedSizeAndASmallOneVerbatim() throws Exception {
        StringBuilder sb = new StringBuilder("{\"model\": {\"vocab\": {");
        for (int i = 0; i < 3000; i++) sb.append("\"tok").append(i).append("\": ").append(i).append(", ");
        byte[] large = sb.append("\"end\": 0}}}").toString().getBytes(StandardCharsets.UTF_8);
        byte[] small = "{\"hidden_size\": 64}".getBytes(StandardCharsets.UTF_8);
        Path out = tmp.resolve("f.lort");
        try (LortWriter w = LortWriter.create(out)) {
            w.addFile("tokenizer.json", large);
            w.addFile("config.json", small);
            w.finish(JsonNodeFactory.instance.objectNode());
        }

        // What the format says, read without LoRT's reader.
        byte[] bytes = Files.readAllBytes(out);
        ByteBuffer file = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(file.getShort(6)).as("version_minor").isEqualTo((short) 2);
        JsonNode index = new ObjectMapper().readTree(new String(bytes, (int) file.getLong(16), (int) file.getLong(24), StandardCharsets.UTF_8));
        JsonNode tok = index.get("files").get(0), cfg = index.get("files").get(1);
        assertThat(tok.get("encoding").asText()).isEqualTo("zlib");
        assertThat(tok.get("size").asInt()).isEqualTo(large.length);
        assertThat(tok.get("length").asInt()).isLessThan(large.length / 2);
        byte[] stored = Arrays.copyOfRange(bytes, tok.get("offset").asInt(), tok.get("offset").asInt() + tok.get("length").asInt());
        try (var in = new InflaterInputStream(new ByteArrayInputStream(stored))) {
            assertThat(in.readAllBytes()).isEqualTo(large);
        }
        assertThat(cfg.has("encoding")).isFalse();
        assertThat(Arrays.copyOfRange(bytes, cfg.get("offset").asInt(), cfg.get("offset").asInt() + cfg.get("length").asInt())).isEqualTo(small);

        try (LortFile f = LortFile.open(out)) {
            assertThat(f.file("tokenizer.json")).hasValue(large);
            assertThat(f.file("config.json")).hasValue(small);
            assertThat(f.verify()).isEmpty();
        }
    }

    @Test
    void aStreamThatInflatesToAnotherSizeOrIsNotZlibIsRefused() {
        byte[] content = new byte[10_000];
        Arrays.fill(content, (byte) 'a');
        byte[] packed = EmbeddedFiles.deflate(content);
        assertThat(EmbeddedFiles.inflate(packed, content.length, "x")).isEqualTo(content);
        assertThatThrownBy(() -> EmbeddedFiles.inflate(packed, content.length - 1, "x")).isInstanceOf(LortException.class).hasMessageContaining("does not inflate");
        assertThatThrownBy(() -> EmbeddedFiles.inflate(packed, content.length + 1, "x")).isInstanceOf(LortException.class).hasMessageContaining("does not inflate");
        byte[] junk = packed.clone();
        junk[0] = 0;
        assertThatThrownBy(() -> EmbeddedFiles.inflate(junk, content.length, "x")).isInstanceOf(LortException.class);
        byte[] trailing = Arrays.copyOf(packed, packed.length + 3);
        assertThatThrownBy(() -> EmbeddedFiles.inflate(trailing, content.length, "x")).isInstanceOf(LortException.class);
    }
}
