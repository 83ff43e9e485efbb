package ai.lort.tokenizer;

import ai.lort.LortException;
import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's chat template (Jinja, from tokenizer_config.json or chat_template.jinja) rendered with
 * jinjava the way transformers' {@code apply_chat_template} renders it.
 */
public final class ChatTemplate {
    /** Largest rendered prompt, in characters. */
    private static final long MAX_OUTPUT = 16L << 20;
    private static final long MAX_RENDER_MILLIS = 2_000;
    /** When the render on this thread must stop (System.nanoTime), checked before every template node. */
    private static final ThreadLocal<long[]> DEADLINE = new ThreadLocal<>();
    private static final com.hubspot.jinjava.el.JinjavaNodePreProcessor NODES = new com.hubspot.jinjava.el.JinjavaNodePreProcessor();

    /** Thrown past jinjava's own error handling (which catches exceptions per node) when a render runs out of time. */
    private static final class OutOfTime extends Error {
        OutOfTime() { super("chat template rendering ran out of time", null, false, false); }
    }

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    public ChatTemplate(String template, String bosToken, String eosToken) {
        // transformers renders with trim_blocks and lstrip_blocks, and Jinja drops one trailing newline.
        String t = template.endsWith("\n") ? template.substring(0, template.length() - 1) : template;
        this.template = TemplateRewriter.rewrite(t);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new JinjaPython.PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // A template comes with the model, so it may be hostile: output, strings, lists,
                // ranges and macro recursion are bounded (and the render time, in renderContext).
                .withMaxOutputSize(MAX_OUTPUT)
                .withMaxStringLength(MAX_OUTPUT)
                .withMaxListSize(100_000)
                .withMaxMapSize(100_000)
                .withRangeLimit(100_000)
                .withMaxMacroRecursionDepth(50)
                .withEnableRecursiveMacroCalls(true)
                .withNodePreProcessor((node, interpreter) -> {
                    NODES.accept(node, interpreter);
                    long[] deadline = DEADLINE.get();
                    if (deadline != null && System.nanoTime() > deadline[0]) throw new OutOfTime();
                })
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUsePyishObjectMapper(true)
                        .build())
                .build());
        jinjava.getGlobalContext().registerFilter(new JinjaPython.ToJson());
        jinjava.getGlobalContext().registerFilter(new JinjaPython.Items());
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", JinjaPython.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "strftime_now", JinjaPython.class, "strftimeNow", String.class));
    }

    /**
     * The model's template: {@code chat_template.jinja} if present, else tokenizer_config.json's
     * {@code chat_template} (a string, or a list of named templates of which "default" is taken).
     */
    public static Optional<ChatTemplate> load(Function<String, Optional<byte[]>> files) {
        JsonNode config = files.apply("tokenizer_config.json").map(b -> Tokenizer.parse(b, "tokenizer_config.json")).orElse(null);
        String bos = config == null ? null : tokenName(config.path("bos_token"));
        String eos = config == null ? null : tokenName(config.path("eos_token"));
        Optional<byte[]> jinja = files.apply("chat_template.jinja");
        if (jinja.isPresent()) return Optional.of(new ChatTemplate(new String(jinja.get(), StandardCharsets.UTF_8), bos, eos));
        if (config == null) return Optional.empty();
        JsonNode t = config.path("chat_template");
        if (t.isTextual()) return Optional.of(new ChatTemplate(t.asText(), bos, eos));
        if (t.isArray()) {
            for (JsonNode named : t)
                if (named.path("name").asText().equals("default")) return Optional.of(new ChatTemplate(named.path("template").asText(), bos, eos));
            throw new LortException("tokenizer_config.json: chat_template is a list without a \"default\" template");
        }
        return Optional.empty();
    }

    private static String tokenName(JsonNode n) {
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.path("content").asText();
        return null;
    }

    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /** Renders with extra template variables (e.g. {@code enable_thinking}, {@code tools}). */
    public String render(List<Message> messages, boolean addGenerationPrompt, Map<String, Object> variables) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        return renderMessages(list, addGenerationPrompt, variables);
    }

    /**
     * Renders messages given as maps, for fields beyond role and content ({@code tool_calls},
     * {@code reasoning_content}...); values are strings, numbers, booleans, lists and maps.
     */
    public String renderMessages(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> variables) {
        Map<String, Object> context = new HashMap<>(variables);
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.putIfAbsent("bos_token", bosToken);
        context.putIfAbsent("eos_token", eosToken);
        return renderContext(context);
    }

    /** Renders with exactly these template variables, within {@link #MAX_RENDER_MILLIS}. */
    String renderContext(Map<String, Object> context) {
        RenderResult result;
        DEADLINE.set(new long[] {System.nanoTime() + MAX_RENDER_MILLIS * 1_000_000});
        try {
            result = jinjava.renderForResult(template, context);
        } catch (OutOfTime e) {
            throw new LortException("chat template: rendering took more than " + MAX_RENDER_MILLIS / 1000 + " s (a loop that runs too long?)");
        } catch (StackOverflowError e) {
            throw new LortException("chat template: nests too deeply to render");
        } finally {
            DEADLINE.remove();
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() != TemplateError.ErrorType.FATAL) continue;
            for (Throwable t = e.getException(); t != null; t = t.getCause())
                if (t instanceof LortException refused) throw refused;
            throw new LortException("chat template: " + e.getMessage() + " (line " + e.getLineno() + ")");
        }
        return result.getOutput();
    }
}
