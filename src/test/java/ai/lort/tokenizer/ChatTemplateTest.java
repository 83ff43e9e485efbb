package ai.lort.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reference renderings of shared/tokenizers/chat-cases.json (transformers' apply_chat_template). */
class ChatTemplateTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen3"})
    void rendersLikeTransformers(String name) throws Exception {
        JsonNode cases = new ObjectMapper().readTree(SharedData.require("tokenizers/chat-cases.json").toFile());
        var files = Tokenizer.folderFiles(SharedData.require("tokenizers/" + name));
        ChatTemplate template = ChatTemplate.load(files).orElseThrow();
        Tokenizer tok = TokenizerCasesTest.tokenizer(name);
        JsonNode r = cases.path("results").path(name);
        JsonNode conversations = cases.path("conversations");
        for (int i = 0; i < conversations.size(); i++) {
            List<Message> messages = new ArrayList<>();
            for (JsonNode m : conversations.get(i)) messages.add(new Message(m.path("role").asText(), m.path("content").asText()));
            String rendered = template.render(messages, cases.path("add_generation_prompt").asBoolean());
            assertThat(rendered).as(name + " conversation " + i).isEqualTo(r.path("rendered").get(i).asText());
            assertThat(tok.encode(rendered, false)).isEqualTo(TokenizerCasesTest.ints(r.path("ids").get(i)));
        }
    }
}
