package ai.lort.tokenizer;

/** One chat message: its role ({@code system}, {@code user}, {@code assistant}, {@code tool}) and text. */
public record Message(String role, String content) {
    public Message {
        if (role == null || content == null) throw new IllegalArgumentException("a message needs a role and content");
    }

    public static Message system(String content) { return new Message("system", content); }

    public static Message user(String content) { return new Message("user", content); }

    public static Message assistant(String content) { return new Message("assistant", content); }
}
