package ai.lort.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import ai.lort.testing.SharedData;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
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

    /** Renderings by Python's jinja2 set up as transformers does (see make-chat-extra.py beside the data). */
    @Test
    void rendersPythonFeaturesLikeJinja2() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode cases = json.readTree(getClass().getResourceAsStream("chat-extra.json"));
        String qwen3 = json.readTree(SharedData.require("tokenizers/qwen3/tokenizer_config.json").toFile()).path("chat_template").asText();
        for (JsonNode c : cases) {
            String source = c.path("template").asText();
            boolean isQwen = source.equals("qwen3");
            Map<String, Object> context = new HashMap<>(json.convertValue(c.path("context"), new TypeReference<Map<String, Object>>() {}));
            if (isQwen) {
                context.put("bos_token", "");
                context.put("eos_token", "<|im_end|>");
            }
            ChatTemplate template = new ChatTemplate(isQwen ? qwen3 : source, null, null);
            assertThat(template.renderContext(context)).as(isQwen ? "qwen3 with " + c.path("context") : source)
                    .isEqualTo(c.path("rendered").asText());
        }
    }

    @Test
    void raiseExceptionStopsWithTheTemplatesMessage() {
        ChatTemplate template = new ChatTemplate("{% if messages[0].role != 'user' %}{{ raise_exception('first must be user') }}{% endif %}ok", null, null);
        assertThat(template.render(List.of(Message.user("x")), true)).isEqualTo("ok");
        assertThatThrownBy(() -> template.render(List.of(Message.assistant("x")), true))
                .isInstanceOf(LortException.class).hasMessageContaining("first must be user");
    }

    @Test
    void picksTheDefaultOfNamedTemplatesAndPrefersChatTemplateJinja() {
        byte[] config = "{\"bos_token\": {\"content\": \"<s>\"}, \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\": \"{{ bos_token }}D\"}]}"
                .getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> files = new HashMap<>(Map.of("tokenizer_config.json", config));
        assertThat(ChatTemplate.load(n -> Optional.ofNullable(files.get(n))).orElseThrow().render(List.of(), false)).isEqualTo("<s>D");
        files.put("chat_template.jinja", "J{{ messages|length }}\n".getBytes(StandardCharsets.UTF_8));
        assertThat(ChatTemplate.load(n -> Optional.ofNullable(files.get(n))).orElseThrow().render(List.of(Message.user("a")), false)).isEqualTo("J1");
        assertThat(ChatTemplate.load(n -> Optional.empty())).isEmpty();
    }

    /** A template comes with the model: one that would loop for hours, or recurse without end, is refused. */
    @Test
    void aTemplateThatRunsTooLongOrNestsTooDeeplyIsRefused() {
        String loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}{% endfor %}";
        assertThatThrownBy(() -> new ChatTemplate(loops, "", "").render(List.of(Message.user("hi")), true))
                .isInstanceOf(LortException.class).hasMessageContaining("rendering took more than 2 s");
        String deep = "{{" + "(".repeat(5000) + "1" + ")".repeat(5000) + "}}";
        assertThatThrownBy(() -> new ChatTemplate(deep, "", "").render(List.of(Message.user("hi")), true))
                .isInstanceOf(LortException.class).hasMessageContaining("nest more than 100 deep");
        // Endless macro recursion stops at the recursion limit: jinjava reports it as a non-fatal error and renders nothing for it.
        String recursive = "{% macro f(n) %}{{ f(n) }}{% endmacro %}[{{ f(1) }}]";
        assertThat(new ChatTemplate(recursive, "", "").render(List.of(Message.user("hi")), true)).startsWith("[").endsWith("]");
    }
}
