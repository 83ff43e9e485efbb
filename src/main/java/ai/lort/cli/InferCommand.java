package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.api.ChatMessage;
import ai.lort.api.Completion;
import ai.lort.api.FinishReason;
import ai.lort.api.Generation;
import ai.lort.api.GenerationOptions;
import ai.lort.api.LortModel;
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
        GenerationOptions options = GenerationOptions.builder().maxTokens(maxTokens).temperature(temperature).topP(topP).topK(topK)
                .seed(seed != null ? seed : System.nanoTime()).build();
        out = spec.commandLine().getOut();
        try (LortModel m = model.open(threads, device, ctx.requested(), 1, 0)) {
            if (promptIds != null) {
                report(m.generate(promptIds, options).streamTo(t -> {
                    if (t.id() >= 0) out.print(t.id() + " ");
                    out.flush();
                }));
                out.println();
                return 0;
            }
            if (prompt == null) {
                interactive(m, options);
            } else if (chat) {
                if (!m.hasChatTemplate()) throw new LortException("this model has no chat template; drop --chat to continue the prompt as plain text");
                Generation g = m.chat(conversation(List.of(ChatMessage.user(prompt))), options);
                if (json) printJson(g);
                else stream(g);
            } else if (json) {
                printJson(m.generate(prompt, options));
            } else {
                Generation g = m.generate(prompt, options);
                out.print(prompt);
                stream(g);
            }
        } finally {
            out.flush();
        }
        return 0;
    }

    /** Prints the generation's text as it comes, then its timings on stderr. */
    private Completion stream(Generation g) {
        Completion c = g.streamTo(t -> {
            out.print(t.text());
            out.flush();
        });
        out.println();
        out.flush();
        report(c);
        return c;
    }

    /** --json: the whole continuation and its timings as one document (nothing streamed). */
    private void printJson(Generation g) {
        Completion c = g.result();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("prompt", prompt);
        o.put("text", c.text());
        var tokens = o.putArray("tokens");
        for (int id : c.tokens()) tokens.add(id);
        o.put("prompt_tokens", c.promptTokens());
        o.put("generated_tokens", c.tokens().length);
        o.put("stop", stopName(c.finishReason()));
        o.put("prompt_tokens_per_second", c.promptTokensPerSecond());
        o.put("generated_tokens_per_second", c.tokensPerSecond());
        o.put("first_token_ms", c.firstTokenNanos() / 1e6);
        JsonOutput.print(out, o);
    }

    /** One message per line; with a chat template the conversation is kept (its cache reused), else each line is continued on its own. */
    private void interactive(LortModel m, GenerationOptions options) {
        List<ChatMessage> history = new ArrayList<>();
        if (!m.hasChatTemplate()) System.err.println("(this model has no chat template: each line is continued as plain text)");
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
                if (m.hasChatTemplate()) {
                    history.add(ChatMessage.user(line));
                    history.add(ChatMessage.assistant(stream(m.chat(conversation(history), options)).text()));
                } else {
                    stream(m.generate(line, options));
                }
            }
        } catch (IOException e) {
            throw new LortException("cannot read standard input (" + e.getMessage() + ")");
        }
    }

    private List<ChatMessage> conversation(List<ChatMessage> messages) {
        if (system == null) return messages;
        List<ChatMessage> all = new ArrayList<>();
        all.add(ChatMessage.system(system));
        all.addAll(messages);
        return all;
    }

    /** The --json and stderr name of why generation stopped. */
    private static String stopName(FinishReason r) {
        return switch (r) {
            case END_OF_SEQUENCE -> "eos";
            case MAX_TOKENS -> "max_tokens";
            case CONTEXT_FULL -> "context";
            case STOP_SEQUENCE, CANCELLED -> "caller";
        };
    }

    private static void report(Completion c) {
        System.err.printf(Locale.ROOT, "prompt: %d tokens (%d from cache), %.1f tokens/s; generated: %d tokens, %.1f tokens/s; time to first token: %.0f ms; stopped: %s%n",
                c.promptTokens(), c.cachedTokens(), c.promptTokensPerSecond(), c.tokens().length, c.tokensPerSecond(),
                c.firstTokenNanos() / 1e6, stopName(c.finishReason()).replace('_', ' '));
    }
}
