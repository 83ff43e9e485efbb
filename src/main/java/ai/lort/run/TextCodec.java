package ai.lort.run;

import ai.lort.LortException;
import java.util.List;
import java.util.function.IntFunction;

/**
 * What generation and evaluation need from a tokenizer: text to ids, ids to streamed text, and
 * the chat template. A thin seam over {@code ai.lort.tokenizer} so that the engine and its tests
 * work on token ids alone.
 */
public interface TextCodec {
    /** A chat message; role is system, user or assistant. */
    record Message(String role, String content) {}

    /** Ids of {@code text}, with the special tokens (BOS) the tokenizer config asks for when {@code addSpecial}. */
    int[] encode(String text, boolean addSpecial);

    /** A fresh decoder that returns the text each id adds (empty while a UTF-8 sequence is incomplete). */
    IntFunction<String> streamDecoder();

    /** True when the model ships a chat template. */
    boolean hasChatTemplate();

    /** The conversation rendered by the model's chat template, ending with the assistant's turn opener. */
    String renderChat(List<Message> messages);

    /** The model's tokenizer, from the tokenizer files among its weights. */
    static TextCodec load(WeightSource weights) {
        throw new LortException("text input needs the tokenizer, which this build does not include yet; use token ids (--tokens for eval)");
    }
}
