package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.format.LortFile;
import ai.lort.tokenizer.ChatTemplate;
import ai.lort.tokenizer.Message;
import ai.lort.tokenizer.Tokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "tokenize", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Print the token ids of a text, as the model's tokenizer.json gives them.")
public final class TokenizeCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "A model folder, or a folder holding only tokenizer.json (and tokenizer_config.json).")
    Path model;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "The text to tokenize.") String text;
        @Option(names = "--file", paramLabel = "FILE", description = "A UTF-8 file to tokenize.") Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    @Option(names = "--no-special", description = "Add no special tokens (such as a BOS) around the text.")
    boolean noSpecial;

    @Option(names = "--json", description = "Print a JSON object with the ids and the token strings.")
    boolean json;

    @Option(names = "--chat", description = "Render the text as a user message with the model's chat template "
            + "(and the assistant's generation prompt) before tokenizing; the template writes the special tokens.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "With --chat: a system message before the user's.")
    String system;

    @Override
    public void run() {
        Function<String, Optional<byte[]>> files = tokenizerFiles(model);
        Tokenizer tokenizer = Tokenizer.load(files);
        String text = readInput();
        boolean addSpecial = !noSpecial;
        if (chat) {
            ChatTemplate template = ChatTemplate.load(files)
                    .orElseThrow(() -> new LortException("the model has no chat_template (tokenizer_config.json or chat_template.jinja)"));
            List<Message> messages = new ArrayList<>();
            if (system != null) messages.add(Message.system(system));
            messages.add(Message.user(text));
            text = template.render(messages, true);
            addSpecial = false; // as transformers' apply_chat_template: the template already holds them
        } else if (system != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--system goes with --chat");
        }
        int[] ids = tokenizer.encode(text, addSpecial);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode();
            if (chat) root.put("text", text);
            ArrayNode idArray = root.putArray("ids");
            ArrayNode tokens = root.putArray("tokens");
            for (int id : ids) {
                idArray.add(id);
                tokens.add(tokenizer.tokenString(id));
            }
            // Escaped non-ASCII keeps the JSON intact whatever the terminal's encoding.
            try {
                out.println(mapper.writer().with(JsonWriteFeature.ESCAPE_NON_ASCII).writeValueAsString(root));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        }
        out.flush();
    }

    /** Where the tokenizer files come from: the files a .lort embeds, or a model folder. */
    static Function<String, Optional<byte[]>> tokenizerFiles(Path model) {
        if (Files.exists(model) && !Files.isDirectory(model) && !Files.isRegularFile(model))
            throw new LortException(model + ": not a regular file (a device, pipe or socket); give a model folder or a .lort file");
        if (Files.isRegularFile(model) && (model.getFileName().toString().endsWith(".lort") || LortFile.looksLikeLort(model))) {
            // The few tokenizer files are copied out so the mapping can be closed at once.
            Map<String, byte[]> embedded = new HashMap<>();
            try (LortFile f = LortFile.open(model)) {
                for (String name : f.fileNames()) f.file(name).ifPresent(b -> embedded.put(name, b));
            }
            return name -> Optional.ofNullable(embedded.get(name));
        }
        if (!Files.isDirectory(model))
            throw new LortException(model + " is not a folder; pass the model folder holding tokenizer.json");
        return Tokenizer.folderFiles(model);
    }

    private String readInput() {
        if (input.text != null) return input.text;
        CompressCommand.inputFile("--file", input.file, "");
        try {
            return Files.readString(input.file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new LortException(input.file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new LortException("cannot read " + input.file + ": " + e.getMessage());
        }
    }
}
