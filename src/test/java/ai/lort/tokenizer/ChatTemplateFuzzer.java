package ai.lort.tokenizer;

import ai.lort.LortException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target: a chat template (as a model's tokenizer_config.json would carry it) and the
 * messages it renders, as UTF-8 text: template, system, user and assistant message separated by
 * NUL characters. Every input must be refused with a {@link LortException} (a template error, a
 * raise_exception, a limit) or render.
 */
public final class ChatTemplateFuzzer {
    private ChatTemplateFuzzer() {}

    /** Called by the fuzzer once before the first input. */
    public static void fuzzerInitialize() {
        ai.lort.fuzz.FuzzSeeds.warmUp("ChatTemplateFuzzer", ChatTemplateFuzzer::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        String[] parts = new String(data, StandardCharsets.UTF_8).split("\u0000", 4);
        String template = parts[0];
        String system = parts.length > 1 ? parts[1] : "", user = parts.length > 2 ? parts[2] : "", assistant = parts.length > 3 ? parts[3] : "";
        boolean generationPrompt = data.length % 2 == 0;
        try {
            ChatTemplate t = new ChatTemplate(template, "<s>", "</s>");
            t.render(List.of(Message.system(system), Message.user(user), Message.assistant(assistant), Message.user(user)), generationPrompt,
                    Map.of("enable_thinking", generationPrompt));
        } catch (LortException refused) {
            // the documented clean error
        }
    }
}
