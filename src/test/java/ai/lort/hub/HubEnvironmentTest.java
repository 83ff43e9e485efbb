package ai.lort.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubEnvironmentTest {
    @TempDir Path home;

    @Test
    void defaultsMatchHuggingFaceHub() {
        HubEnvironment env = HubEnvironment.from(Map.of(), home);
        assertThat(env.endpoint()).isEqualTo(URI.create("https://huggingface.co"));
        assertThat(env.hubCache()).isEqualTo(home.resolve(".cache/huggingface/hub"));
        assertThat(env.offline()).isFalse();
        assertThat(env.token()).isNull();
    }

    @Test
    void cacheFollowsXdgThenHfHomeThenHfHubCache() {
        assertThat(HubEnvironment.from(Map.of("XDG_CACHE_HOME", "/x"), home).hubCache()).isEqualTo(Path.of("/x/huggingface/hub"));
        assertThat(HubEnvironment.from(Map.of("XDG_CACHE_HOME", "/x", "HF_HOME", "~/hf"), home).hubCache()).isEqualTo(home.resolve("hf/hub"));
        assertThat(HubEnvironment.from(Map.of("HF_HOME", "/hf", "HF_HUB_CACHE", "/cache"), home).hubCache()).isEqualTo(Path.of("/cache"));
    }

    @Test
    void endpointAndOfflineFlag() {
        HubEnvironment env = HubEnvironment.from(Map.of("HF_ENDPOINT", "https://hf-mirror.com/", "HF_HUB_OFFLINE", "1"), home);
        assertThat(env.endpoint()).isEqualTo(URI.create("https://hf-mirror.com"));
        assertThat(env.offline()).isTrue();
        assertThat(HubEnvironment.from(Map.of("HF_HUB_OFFLINE", "true"), home).offline()).isTrue();
        assertThat(HubEnvironment.from(Map.of("HF_HUB_OFFLINE", "0"), home).offline()).isFalse();
        assertThatThrownBy(() -> HubEnvironment.from(Map.of("HF_ENDPOINT", "ftp://x"), home)).isInstanceOf(LortException.class)
                .hasMessageContaining("HF_ENDPOINT");
    }

    @Test
    void tokenFromHfTokenThenLegacyVariableThenFile() throws IOException {
        Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(home.resolve(".cache/huggingface/token"), "hf_file\n");
        assertThat(HubEnvironment.from(Map.of(), home).token()).isEqualTo("hf_file");
        assertThat(HubEnvironment.from(Map.of("HUGGING_FACE_HUB_TOKEN", "hf_legacy"), home).token()).isEqualTo("hf_legacy");
        assertThat(HubEnvironment.from(Map.of("HF_TOKEN", "hf_new", "HUGGING_FACE_HUB_TOKEN", "hf_legacy"), home).token()).isEqualTo("hf_new");
    }

    @Test
    void toStringNeverShowsTheToken() {
        assertThat(HubEnvironment.from(Map.of("HF_TOKEN", "hf_secret"), home).toString()).doesNotContain("hf_secret").contains("token=set");
    }
}
