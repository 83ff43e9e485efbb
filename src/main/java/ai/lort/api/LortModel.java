package ai.lort.api;

import ai.lort.LortException;
import ai.lort.engine.Backend;
import ai.lort.engine.cuda.DeviceChoice;
import ai.lort.engine.cuda.Devices;
import ai.lort.eval.Perplexity;
import ai.lort.format.LortFile;
import ai.lort.generate.BatchDecoder;
import ai.lort.generate.Sampler;
import ai.lort.hub.HubEnvironment;
import ai.lort.load.SourceModel;
import ai.lort.locate.ModelLocator;
import ai.lort.model.LlamaModel;
import ai.lort.tokenizer.ChatTemplate;
import ai.lort.tokenizer.Message;
import ai.lort.tokenizer.Tokenizer;
import ai.lort.weights.LortWeights;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.WeightSource;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * A language model opened for inference: a {@code .lort} file, or the original safetensors model
 * (folder, file or Hugging Face hub id), run on the CPU or an NVIDIA GPU. Thread-safe: generations
 * started from several threads are decoded together, up to {@link ModelOptions#parallel()} at a
 * time, the rest waiting in a queue. Close it to free the model.
 *
 * <pre>{@code
 * try (LortModel model = LortModel.open("model.lort")) {
 *     Completion c = model.complete("Once upon a time", GenerationOptions.greedy(64));
 *     System.out.println(c.text());
 * }
 * }</pre>
 */
public final class LortModel implements AutoCloseable {
    private final String id;
    private final WeightSource weights;
    private final LlamaModel model;
    private final BatchDecoder decoder;
    /** Loaded when first needed: a model run on token ids alone may come without tokenizer files. */
    private Tokenizer tokenizer;
    private Optional<ChatTemplate> template;

    private LortModel(String id, WeightSource weights, LlamaModel model, BatchDecoder decoder) {
        this.id = id;
        this.weights = weights;
        this.model = model;
        this.decoder = decoder;
    }

    private synchronized Tokenizer tokenizer() {
        if (tokenizer == null) tokenizer = Tokenizer.load(weights::file);
        return tokenizer;
    }

    private synchronized Optional<ChatTemplate> template() {
        if (template == null) template = ChatTemplate.load(weights::file);
        return template;
    }

    /** Opens {@code model} with the default options. */
    public static LortModel open(String model) { return open(model, ModelOptions.defaults()); }

    /**
     * Opens a model: a {@code .lort} file, a safetensors model folder or file, or a Hugging Face
     * hub id ({@code org/name}, downloaded into the hub cache unless there).
     *
     * @throws LortException when it cannot be found or read, or the device cannot run it
     */
    public static LortModel open(String model, ModelOptions options) {
        WeightSource weights = weights(model, options.revision());
        LlamaModel m = null;
        try {
            Backend backend = Devices.backend(DeviceChoice.valueOf(options.device().name()), options.threads(), options.messages(), weights);
            m = LlamaModel.load(weights, backend, options.context());
            // The CUDA backend has no row views: it decodes one sequence at a time.
            int parallel = backend.name().startsWith("cpu") ? options.parallel() : 1;
            return new LortModel(id(model), weights, m, new BatchDecoder(m, Math.min(parallel, m.batch()), options.queue()));
        } catch (RuntimeException e) {
            if (m != null) m.close();
            weights.close();
            throw e;
        }
    }

    /**
     * An existing file is a .lort file when it is named so or starts with the LORT magic bytes
     * (then the reader's refusal says what is wrong with it; its CRCs are verified), a
     * safetensors file when named so; anything else that exists is refused saying what it was
     * taken for, and what does not exist is a hub id.
     */
    private static WeightSource weights(String model, String revision) {
        Path local = existing(model);
        if (local != null && !Files.isDirectory(local)) {
            if (!Files.isRegularFile(local)) throw new LortException(model + ": not a regular file (a device, pipe or socket); give a .lort file, a model folder or a .safetensors file");
            String name = local.getFileName().toString();
            if (name.endsWith(".lort") || LortFile.looksLikeLort(local)) {
                if (revision != null) throw new LortException("--revision applies to hub models, but " + model + " is a .lort file");
                return new LortWeights(LortFile.openVerified(local));
            }
            if (!name.endsWith(".safetensors"))
                throw new LortException(model + ": taken for a model file because it exists, but it is neither a .lort file (no LORT magic bytes at its start) nor named *.safetensors");
        }
        return new SafetensorsWeights(SourceModel.open(ModelLocator.locate(model, revision, false).local()));
    }

    private static Path existing(String spec) {
        try {
            Path p = HubEnvironment.fromSystem().expandHome(spec);
            return Files.exists(p) ? p : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** The name a model goes by: a file's or folder's name, or the hub id. */
    private static String id(String spec) {
        try {
            Path p = Path.of(spec);
            if (Files.exists(p) && p.getFileName() != null) return p.toAbsolutePath().normalize().getFileName().toString();
        } catch (InvalidPathException e) {
            // a hub id
        }
        return spec;
    }

    /** The model's name: its file or folder name, or its hub id. */
    public String id() { return id; }

    /** Context length in tokens (prompt and generated together). */
    public int contextLength() { return model.context(); }

    /** Generations decoded together at most. */
    public int parallel() { return decoder.parallel(); }

    /** Where it runs, e.g. {@code cpu (2 threads)}. */
    public String device() { return model.backend().name(); }

    /** Generations being decoded now. */
    public int activeGenerations() { return decoder.status().active(); }

    /** Generations waiting for a free slot. */
    public int queuedGenerations() { return decoder.status().queued(); }

    /** Whether the model has a chat template ({@link #chat} needs one). */
    public boolean hasChatTemplate() { return template().isPresent(); }

    /** The token ids of {@code text}, with the special tokens the tokenizer adds (such as a BOS). */
    public int[] tokenize(String text) { return tokenizer().encode(text, true); }

    /** The token ids of {@code text}; {@code addSpecialTokens} false adds none. */
    public int[] tokenize(String text, boolean addSpecialTokens) { return tokenizer().encode(text, addSpecialTokens); }

    /** The text of token ids, special tokens left out. */
    public String detokenize(int[] ids) { return tokenizer().decode(ids, true); }

    /** The prompt the chat template makes of {@code messages}, ending with the assistant's turn. */
    public String chatPrompt(List<ChatMessage> messages) {
        ChatTemplate t = template().orElseThrow(() -> new LortException("this model has no chat template; continue a plain prompt instead"));
        return t.render(messages.stream().map(m -> new Message(m.role(), m.content())).toList(), true);
    }

    /**
     * Starts continuing {@code prompt} (tokenized with the tokenizer's special tokens).
     *
     * @throws BusyException when every slot is busy and the queue is full
     * @throws LortException when the prompt does not fit the context
     */
    public Generation generate(String prompt, GenerationOptions options) {
        int[] ids = tokenize(prompt);
        return start(ids, options, ids);
    }

    /** Starts continuing the token ids {@code prompt}. */
    public Generation generate(int[] prompt, GenerationOptions options) { return start(prompt, options, prompt); }

    /** The text decoder for a generation, or null for a model without tokenizer files (its tokens then have no text). */
    private Tokenizer.Decoder textDecoder(int[] context) {
        try {
            return tokenizer().streamDecoder(true, context);
        } catch (LortException e) {
            if (weights.file("tokenizer.json").isPresent()) throw e;
            return null;
        }
    }

    /** Starts the assistant's reply to {@code messages}, through the model's chat template. */
    public Generation chat(List<ChatMessage> messages, GenerationOptions options) {
        return start(tokenizer().encode(chatPrompt(messages), false), options, new int[0]);
    }

    /** {@link #generate} and wait for the whole completion. */
    public Completion complete(String prompt, GenerationOptions options) { return generate(prompt, options).result(); }

    /** {@link #generate}, every token handed to {@code onToken} on this thread as it comes. */
    public Completion complete(String prompt, GenerationOptions options, java.util.function.Consumer<Token> onToken) {
        return generate(prompt, options).streamTo(onToken);
    }

    /** {@code context} ids let the text decoder space the first token as the prompt has it. */
    private Generation start(int[] prompt, GenerationOptions o, int[] context) {
        for (int id : prompt)
            if (id < 0 || id >= model.vocabSize()) throw new LortException("token id " + id + " is outside the model's vocabulary of " + model.vocabSize());
        Generation g = new Generation(textDecoder(context), o.stop());
        Sampler sampler = new Sampler(o.temperature(), o.topP(), o.topK(), o.seed().orElseGet(System::nanoTime));
        try {
            g.started(decoder.submit(prompt, o.maxTokens(), sampler, g.sink()));
        } catch (BatchDecoder.QueueFullException e) {
            throw new BusyException(e.getMessage());
        }
        return g;
    }

    /** Perplexity of {@code text} (tokenized with a BOS where the tokenizer adds one) in windows of {@code window} tokens. */
    public PerplexityResult perplexity(String text, int window) { return perplexity(tokenize(text), window, null); }

    /**
     * Teacher-forced perplexity of the token ids: consecutive windows of {@code window} tokens (at
     * most the context), each from an empty cache, every token but a window's first scored;
     * {@code progress} (or null) hears the tokens done. Runs between decode steps.
     */
    public PerplexityResult perplexity(int[] ids, int window, LongConsumer progress) {
        Perplexity.Result r = decoder.exclusive(() -> Perplexity.evaluate(model, ids, window, progress));
        return new PerplexityResult(r.tokens(), r.meanNll());
    }

    /** Stops running generations (they fail) and frees the model. */
    @Override
    public void close() {
        decoder.close();
        model.close();
        weights.close();
    }
}
