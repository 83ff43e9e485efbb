package ai.lort.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import org.junit.jupiter.api.Test;

class HubIdTest {
    @Test
    void readsOrgNameAndRevision() {
        assertThat(HubId.parse("Qwen/Qwen2.5-0.5B", null)).contains(new HubId("Qwen/Qwen2.5-0.5B", "main"));
        assertThat(HubId.parse("Qwen/Qwen2.5-0.5B@v1.0", null)).contains(new HubId("Qwen/Qwen2.5-0.5B", "v1.0"));
        assertThat(HubId.parse("Qwen/Qwen2.5-0.5B", "dev")).contains(new HubId("Qwen/Qwen2.5-0.5B", "dev"));
        assertThat(HubId.parse("a/b@refs/pr/3", null)).contains(new HubId("a/b", "refs/pr/3"));
        assertThat(HubId.parse("meta-llama/Llama-3.2-1B", null).orElseThrow().cacheFolderName())
                .isEqualTo("models--meta-llama--Llama-3.2-1B");
    }

    @Test
    void rejectsWhatIsNotAHubId() {
        for (String s : new String[] {"gpt2", "a/b/c", "/abs/path", "./model", "a/", "/b", "a--b/c", "a/b..c",
                "-a/b", "a/b.", "a b/c", "a/b@", "~/models/x", "C:\\models\\x"})
            assertThat(HubId.parse(s, null)).as(s).isEmpty();
    }

    @Test
    void revisionsThatCouldEscapeTheCacheAreRefused() {
        assertThatThrownBy(() -> HubId.parse("a/b@../../etc", null)).isInstanceOf(LortException.class).hasMessageContaining("unsafe");
        assertThatThrownBy(() -> HubId.parse("a/b", "/etc/passwd")).isInstanceOf(LortException.class);
    }

    @Test
    void inlineAndOptionRevisionsMustAgree() {
        assertThat(HubId.parse("a/b@v1", "v1")).contains(new HubId("a/b", "v1"));
        assertThatThrownBy(() -> HubId.parse("a/b@v1", "v2")).isInstanceOf(LortException.class).hasMessageContaining("--revision");
    }

    @Test
    void recognisesCommitShas() {
        assertThat(HubId.isCommit("0123456789abcdef0123456789abcdef01234567")).isTrue();
        assertThat(HubId.isCommit("main")).isFalse();
        assertThat(HubId.isCommit("0123456789ABCDEF0123456789abcdef01234567")).isFalse();
    }
}
