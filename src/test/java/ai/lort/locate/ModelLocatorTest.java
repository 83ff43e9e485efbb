package ai.lort.locate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import ai.lort.hub.HubEnvironment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLocatorTest {
    static final String SHA = "0123456789abcdef0123456789abcdef01234567";

    @TempDir Path home;

    HubEnvironment offline() { return HubEnvironment.from(Map.of("HF_HUB_OFFLINE", "1"), home); }

    @Test
    void existingFolderIsLocalWithTildeExpanded() throws IOException {
        Path dir = Files.createDirectories(home.resolve("models/tiny"));
        Files.write(dir.resolve("model.safetensors"), new byte[8]);

        LocatedModel m = ModelLocator.locate("~/models/tiny", null, true, offline());
        assertThat(m.local().weightFiles()).containsExactly(dir.resolve("model.safetensors"));
        assertThat(m.provenance()).containsExactly(Map.entry("type", "local"), Map.entry("path", dir.toString()));
        assertThatThrownBy(() -> ModelLocator.locate(dir.toString(), "main", true, offline()))
                .isInstanceOf(LortException.class).hasMessageContaining("--revision");
    }

    @Test
    void hubIdComesFromTheCacheWithItsProvenance() throws IOException {
        Path repo = home.resolve(".cache/huggingface/hub/models--org--tiny");
        Files.createDirectories(repo.resolve("blobs"));
        Files.write(repo.resolve("blobs/abc123"), new byte[8]);
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), SHA, StandardCharsets.UTF_8);
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(SHA));
        Files.createSymbolicLink(snapshot.resolve("model.safetensors"), Path.of("../../blobs/abc123"));

        LocatedModel m = ModelLocator.locate("org/tiny", null, true, offline());
        assertThat(m.local().weightFiles()).containsExactly(snapshot.resolve("model.safetensors"));
        assertThat(m.provenance()).containsExactly(Map.entry("type", "hub"), Map.entry("id", "org/tiny"),
                Map.entry("revision", "main"), Map.entry("commit", SHA), Map.entry("files", Map.of("model.safetensors", "abc123")));
        assertThat(ModelLocator.locate("org/tiny@" + SHA, null, true, offline()).provenance()).containsEntry("revision", SHA);
    }

    @Test
    void neitherPathNorHubIdIsAClearError() {
        assertThatThrownBy(() -> ModelLocator.locate("./no/such/folder", null, true, offline()))
                .isInstanceOf(LortException.class).hasMessageContaining("./no/such/folder: no such file or folder");
        assertThatThrownBy(() -> ModelLocator.locate("gpt2", null, true, offline()))
                .isInstanceOf(LortException.class).hasMessageContaining("org/name");
    }
}
