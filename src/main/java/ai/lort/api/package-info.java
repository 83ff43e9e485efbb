/**
 * LoRT as a Java library: open a model ({@link ai.lort.api.LortModel#open}: a {@code .lort}
 * file, a safetensors folder or file, or a Hugging Face hub id), tokenize, generate (a blocking
 * call, a per-token callback, or an iterator over a running {@link ai.lort.api.Generation} that
 * can be cancelled), chat through the model's template, measure perplexity, and compress
 * ({@link ai.lort.api.Compression}, with the options of {@code lort compress} and a progress
 * listener). Generations submitted from several threads are decoded together, one pass over the
 * weights per step for all of them ({@link ai.lort.api.ModelOptions.Builder#parallel}).
 *
 * <p>This package is LoRT's public API; every other package is internal and may change.
 * Errors a user can fix are {@link ai.lort.LortException}s with a one-line message.
 */
package ai.lort.api;
