/**
 * Healing: the operations of the Llama-family decoder with their backward passes, for distilling
 * a compressed model toward the original end to end. Written in the style of karpathy/llm.c's
 * {@code train_gpt2.c}: each operation has its {@code forward} and {@code backward} side by side,
 * outputs (or gradients) first in the argument list, then inputs, then weights and sizes.
 *
 * <p>Conventions shared by every operation:
 * <ul>
 *   <li>One sequence of {@code tokens} tokens at positions 0..tokens-1. Activations are row-major
 *       {@code float[]}, one row per token ({@code [tokens × width]}); weights are row-major
 *       {@code [out × in]} as {@code torch.nn.Linear} stores them.</li>
 *   <li>A forward writes its outputs (and what its backward needs, into arrays the caller keeps).
 *       A backward ACCUMULATES into every gradient array ({@code +=}), activations' gradients
 *       included, as llm.c does: the caller zeroes them once and sums over sequences and over the
 *       several consumers of one activation. A gradient array must not alias an input.</li>
 *   <li>No arrays are allocated per call but {@link ai.lort.kernel.Gemm#gemm}'s packing buffers
 *       (and small bookkeeping objects); scratch is passed by the caller or owned by the operation
 *       ({@link ai.lort.heal.Attention}, {@link ai.lort.heal.Loss}), which then runs one call at a
 *       time.</li>
 *   <li>{@code threads} bounds the threads an operation uses ({@link ai.lort.util.Parallel}).</li>
 * </ul>
 * The forward arithmetic is the inference engine's ({@link ai.lort.engine.cpu.CpuBackend},
 * {@link ai.lort.model.LlamaModel}), in float32.
 */
package ai.lort.heal;
