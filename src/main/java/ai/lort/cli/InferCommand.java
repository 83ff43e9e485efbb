package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.run.CpuBackend;
import ai.lort.run.Generator;
import ai.lort.run.LlamaModel;
import ai.lort.run.ModelConfig;
import ai.lort.run.Sampler;
import ai.lort.run.TextCodec;
import ai.lort.run.WeightSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "infer", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Generate text with a model (a .lort file or the original safetensors model).",
                "Without --prompt: an interactive chat, one message per line, until end of input."})
public final class InferCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "A .lort file, a safetensors model folder or file, or a Hugging Face id (org/name).")
    String model;

    @Option(names = "--prompt", description = "Text to continue (or, with --chat, the user's message).")
    String prompt;

    @Option(names = "--prompt-ids", hidden = true, split = ",", description = "The prompt as token ids (debugging; no tokenizer needed).")
    int[] promptIds;

    @Option(names = "--max-tokens", defaultValue = "256", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--top-k", defaultValue = "40", description = "Sample among the k most likely tokens; 0: all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--seed", description = "Random seed (default: random).")
    Long seed;

    @Option(names = "--chat", description = "Wrap --prompt in the model's chat template.")
    boolean chat;

    @Option(names = "--system", description = "System message for chat.")
    String system;

    @Option(names = "--revision", paramLabel = "<REV>", description = "Hub revision (branch, tag or commit) when --model is a hub id.")
    String revision;

    @Option(names = "--threads", description = "Worker threads (default: the number of cores).")
    Integer threads;

    @Option(names = "--ctx", description = "Context length in tokens (default: max_position_embeddings, at most 4096).")
    Integer ctx;

    @Override
    public Integer call() {
        if (maxTokens < 0) throw new LortException("--max-tokens must be >= 0");
        if (temperature < 0) throw new LortException("--temperature must be >= 0 (0 is greedy)");
        if (!(topP > 0 && topP <= 1)) throw new LortException("--top-p must be in (0, 1]");
        Sampler sampler = new Sampler(temperature, topP, topK, seed != null ? seed : System.nanoTime());
        try (WeightSource weights = ModelWeights.open(model, revision, false)) {
            ModelConfig config = ModelConfig.load(weights);
            int context = ctx != null ? ctx : Math.min(config.maxPositions(), 4096);
            try (LlamaModel m = LlamaModel.load(weights, new CpuBackend(threads(threads)), context)) {
                Generator gen = new Generator(m);
                PrintWriter out = spec.commandLine().getOut();
                if (promptIds != null) {
                    report(gen.generate(promptIds, maxTokens, sampler, id -> { out.print(id + " "); out.flush(); return true; }));
                    out.println();
                    return 0;
                }
                TextCodec text = TextCodec.load(weights);
                if (prompt != null) {
                    int[] ids = chat ? text.encode(text.renderChat(conversation(List.of(new TextCodec.Message("user", prompt)))), false)
                            : text.encode(prompt, true);
                    report(generate(gen, ids, sampler, text, out));
                    out.println();
                } else {
                    interactive(gen, sampler, text, out);
                }
                out.flush();
            }
        }
        return 0;
    }

    private Generator.Result generate(Generator gen, int[] ids, Sampler sampler, TextCodec text, PrintWriter out) {
        IntFunction<String> decoder = text.streamDecoder();
        return gen.generate(ids, maxTokens, sampler, id -> {
            out.print(decoder.apply(id));
            out.flush();
            return true;
        });
    }

    /** One user line at a time; with a chat template the conversation is kept (and its cache reused), else each line is continued on its own. */
    private void interactive(Generator gen, Sampler sampler, TextCodec text, PrintWriter out) {
        List<TextCodec.Message> history = new ArrayList<>();
        boolean chatMode = text.hasChatTemplate();
        if (!chatMode) System.err.println("(this model has no chat template: each line is continued as plain text)");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            while (true) {
                System.err.print("> ");
                System.err.flush();
                String line = in.readLine();
                if (line == null) break;
                if (line.isBlank()) continue;
                int[] ids;
                if (chatMode) {
                    history.add(new TextCodec.Message("user", line));
                    ids = text.encode(text.renderChat(conversation(history)), false);
                } else {
                    gen.reset();
                    ids = text.encode(line, true);
                }
                StringBuilder reply = new StringBuilder();
                IntFunction<String> decoder = text.streamDecoder();
                Generator.Result r = gen.generate(ids, maxTokens, sampler, id -> {
                    String piece = decoder.apply(id);
                    reply.append(piece);
                    out.print(piece);
                    out.flush();
                    return true;
                });
                out.println();
                out.flush();
                if (chatMode) history.add(new TextCodec.Message("assistant", reply.toString()));
                report(r);
            }
        } catch (IOException e) {
            throw new LortException("cannot read standard input (" + e.getMessage() + ")");
        }
    }

    private List<TextCodec.Message> conversation(List<TextCodec.Message> messages) {
        if (system == null) return messages;
        List<TextCodec.Message> all = new ArrayList<>();
        all.add(new TextCodec.Message("system", system));
        all.addAll(messages);
        return all;
    }

    private static void report(Generator.Result r) {
        System.err.printf(Locale.ROOT, "%nprompt: %d tokens (%d from cache), %.1f tokens/s; generated: %d tokens, %.1f tokens/s; time to first token: %.0f ms (%s)%n",
                r.promptTokens(), r.reused(), r.promptTokensPerSecond(), r.tokens().length, r.generatedTokensPerSecond(),
                r.firstTokenNanos() / 1e6, r.stop().name().toLowerCase(Locale.ROOT).replace('_', ' '));
    }

    static int threads(Integer requested) {
        if (requested == null) return Runtime.getRuntime().availableProcessors();
        if (requested < 1) throw new LortException("--threads must be at least 1");
        return requested;
    }
}
