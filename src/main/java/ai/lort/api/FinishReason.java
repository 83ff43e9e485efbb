package ai.lort.api;

/** Why a generation ended. */
public enum FinishReason {
    /** The model produced its end-of-sequence token. */
    END_OF_SEQUENCE,
    /** The text reached one of the stop sequences (which is not part of it). */
    STOP_SEQUENCE,
    /** {@link GenerationOptions#maxTokens()} tokens were generated. */
    MAX_TOKENS,
    /** The context (KV cache) is full. */
    CONTEXT_FULL,
    /** {@link Generation#cancel()} was called. */
    CANCELLED
}
