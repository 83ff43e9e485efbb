/**
 * Text to token ids and back, as Hugging Face's {@code tokenizers} does it, and chat templates as
 * transformers renders them.
 *
 * <p>{@link ai.lort.tokenizer.Tokenizer} reads {@code tokenizer.json} and runs its pipeline: added
 * tokens are cut out of the text first ({@code AddedTokens}), the rest is normalized
 * ({@code Normalizers}), split into words ({@code PreTokenizers}), each word merged by the BPE model
 * ({@code BpeModel}, a priority queue over merge ranks), and the post-processor adds a BOS where the
 * file says so ({@code PostProcessors}). Decoding runs the configured decoders ({@code Decoders});
 * {@link ai.lort.tokenizer.Tokenizer.Decoder} does it one token at a time for generation.
 *
 * <p>{@link ai.lort.tokenizer.ChatTemplate} renders {@code chat_template} with jinjava, plus what
 * templates written for Python's Jinja2 expect ({@code JinjaPython}, {@code TemplateRewriter}).
 */
package ai.lort.tokenizer;
