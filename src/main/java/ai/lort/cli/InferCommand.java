package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.generate.Generator;
import ai.lort.generate.Sampler;
import ai.lort.model.LlamaModel;
import ai.lort.model.ModelConfig;
import ai.lort.tokenizer.ChatTemplate;
import ai.lort.tokenizer.Message;
import ai.lort.tokenizer.Tokenizer;
import ai.lort.weights.WeightSource;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "infer", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Generate text with a model (a .lort file or the original model), streaming tokens to stdout; timing goes to stderr.",
                "Without --prompt: an interactive chat, one message per line, until end of input."})
public final class InferCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ModelOption model;

    @Option(names = "--prompt", description = "Text to continue (with --chat: the user's message); taken as it is, a leading @ included.")
    String prompt;

    @Option(names = "--prompt-ids", hidden = true, split = ",", description = "The prompt as token ids; prints ids (debugging).")
    int[] promptIds;

    @Option(names = "--max-tokens", defaultValue = "256", description = "Most tokens to generate, 0 or more; generation also stops when the context is full (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature, 0 to 100; 0 is greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus sampling mass, above 0 up to 1 (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--top-k", defaultValue = "40", description = "Sample among the k most likely tokens, 0 or more; 0: all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--seed", description = "Random seed, any 64-bit integer (default: random).")
    Long seed;

    @Option(names = "--chat", description = "Wrap --prompt in the model's chat template.")
    boolean chat;

    @Option(names = "--system", description = "System message for chat.")
    String system;

    @Mixin ThreadsOption threads;

    @Mixin DeviceOption device;

    @Mixin ContextOption ctx;

    @Option(names = "--json", description = "With --prompt: print the continuation and its timings as one JSON document on stdout (docs/JSON.md) instead of streaming it")
    boolean json;

    private PrintWriter out;

    @Override
    public Integer call() {
        Ranges.check("--max-tokens", maxTokens, 0, Integer.MAX_VALUE);
        Ranges.check("--temperature", temperature, 0, 100);
        if (!(topP > 0 && topP <= 1)) throw new LortException("--top-p " + topP + " is out of range; use a value above 0 up to 1");
        Ranges.check("--top-k", topK, 0, Integer.MAX_VALUE);
        if (json && prompt == null) throw new LortException("--json needs --prompt (the interactive chat streams text)");
        Sampler sampler = new Sampler(temperature, topP, topK, seed != null ? seed : System.nanoTime());
        out = spec.commandLine().getOut();
        try (WeightSource weights = model.open()) {
            ModelConfig config = ModelConfig.load(weights);
            int context = ctx.length(config, ContextOption.INFER_CAP);
            try (LlamaModel m = LlamaModel.load(weights, device.backend(threads.count(), weights), context)) {
                Generator gen = new Generator(m);
                if (promptIds != null) {
                    report(gen.generate(promptIds, maxTokens, sampler, id -> { out.print(id + " "); out.flush(); return true; }));
                    out.println();
                    return 0;
                }
                Tokenizer tokenizer = Tokenizer.load(weights::file);
                Optional<ChatTemplate> template = ChatTemplate.load(weights::file);
                if (prompt == null) {
                    interactive(gen, sampler, tokenizer, template);
                } else if (chat) {
                    ChatTemplate t = template.orElseThrow(() -> new LortException("this model has no chat template; drop --chat to continue the prompt as plain text"));
                    int[] ids = tokenizer.encode(t.render(conversation(List.of(Message.user(prompt))), true), false);
                    if (json) printJson(gen, ids, sampler, tokenizer, new int[0]);
                    else stream(gen, ids, sampler, tokenizer, new int[0]);
                } else if (json) {
                    int[] ids = tokenizer.encode(prompt, true);
                    printJson(gen, ids, sampler, tokenizer, ids);
                } else {
                    int[] ids = tokenizer.encode(prompt, true);
                    out.print(prompt);
                    stream(gen, ids, sampler, tokenizer, ids);
                }
            }
        } finally {
            out.flush();
        }
        return 0;
    }

    /** Generates from {@code ids}, printing text as it comes; {@code context} ids let the decoder space the first token right. */
    private Reply stream(Generator gen, int[] ids, Sampler sampler, Tokenizer tokenizer, int[] context) {
        Tokenizer.Decoder decoder = tokenizer.streamDecoder(true, context);
        StringBuilder text = new StringBuilder();
        Generator.Result r = gen.generate(ids, maxTokens, sampler, id -> {
            String piece = decoder.next(id);
            text.append(piece);
            out.print(piece);
            out.flush();
            return true;
        });
        String rest = decoder.flush();
        text.append(rest);
        out.println(rest);
        out.flush();
        report(r);
        return new Reply(r, text.toString());
    }

    private record Reply(Generator.Result result, String text) {}

    /** --json: the whole continuation and its timings as one document (nothing streamed). */
    private void printJson(Generator gen, int[] ids, Sampler sampler, Tokenizer tokenizer, int[] context) {
        Tokenizer.Decoder decoder = tokenizer.streamDecoder(true, context);
        StringBuilder text = new StringBuilder();
        Generator.Result r = gen.generate(ids, maxTokens, sampler, id -> {
            text.append(decoder.next(id));
            return true;
        });
        text.append(decoder.flush());
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("prompt", prompt);
        o.put("text", text.toString());
        var tokens = o.putArray("tokens");
        for (int id : r.tokens()) tokens.add(id);
        o.put("prompt_tokens", r.promptTokens());
        o.put("generated_tokens", r.tokens().length);
        o.put("stop", r.stop().name().toLowerCase(Locale.ROOT));
        o.put("prompt_tokens_per_second", r.promptTokensPerSecond());
        o.put("generated_tokens_per_second", r.tokens().length > 1 ? r.generatedTokensPerSecond() : 0);
        o.put("first_token_ms", r.firstTokenNanos() / 1e6);
        JsonOutput.print(out, o);
    }

    /** One message per line; with a chat template the conversation is kept (its cache reused), else each line is continued on its own. */
    private void interactive(Generator gen, Sampler sampler, Tokenizer tokenizer, Optional<ChatTemplate> template) {
        List<Message> history = new ArrayList<>();
        if (template.isEmpty()) System.err.println("(this model has no chat template: each line is continued as plain text)");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        boolean terminal = System.console() != null && System.console().isTerminal();
        try {
            while (true) {
                if (terminal) {
                    System.err.print("> ");
                    System.err.flush();
                }
                String line = in.readLine();
                if (line == null) break;
                if (line.isBlank()) continue;
                if (template.isPresent()) {
                    history.add(Message.user(line));
                    int[] ids = tokenizer.encode(template.get().render(conversation(history), true), false);
                    history.add(Message.assistant(stream(gen, ids, sampler, tokenizer, new int[0]).text()));
                } else {
                    int[] ids = tokenizer.encode(line, true);
                    stream(gen, ids, sampler, tokenizer, ids);
                }
            }
        } catch (IOException e) {
            throw new LortException("cannot read standard input (" + e.getMessage() + ")");
        }
    }

    private List<Message> conversation(List<Message> messages) {
        if (system == null) return messages;
        List<Message> all = new ArrayList<>();
        all.add(Message.system(system));
        all.addAll(messages);
        return all;
    }

    private static void report(Generator.Result r) {
        System.err.printf(Locale.ROOT, "prompt: %d tokens (%d from cache), %.1f tokens/s; generated: %d tokens, %.1f tokens/s; time to first token: %.0f ms; stopped: %s%n",
                r.promptTokens(), r.reused(), r.promptTokensPerSecond(), r.tokens().length, r.generatedTokensPerSecond(),
                r.firstTokenNanos() / 1e6, r.stop().name().toLowerCase(Locale.ROOT).replace('_', ' '));
    }
}
