package ai.lort.load;

import ai.lort.LortException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where a model's files are on disk: the safetensors files in the order they are read, and the
 * folder holding {@code config.json}, tokenizer files and the like (absent for a lone file).
 *
 * <p>A folder is read through {@code model.safetensors.index.json} when present (every shard it
 * names must exist), else as shards {@code model-0000K-of-0000N.safetensors} (all N present), else
 * as every {@code *.safetensors} file in name order.
 */
public record LocalModel(Path root, List<Path> weightFiles, Path metadataDir) {
    public static final String INDEX = "model.safetensors.index.json";
    private static final Pattern SHARD = Pattern.compile("(.+)-(\\d+)-of-(\\d+)\\.safetensors");

    /** Files beside the weights that a `.lort` embeds when present. */
    public static final List<String> METADATA_FILES = List.of(
            "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json",
            "chat_template.jinja", "chat_template.json");

    public static LocalModel resolve(Path path) {
        if (!Files.exists(path)) throw new LortException(path + ": no such file or folder");
        if (Files.isRegularFile(path)) {
            if (!path.getFileName().toString().endsWith(".safetensors"))
                throw new LortException(path + ": not a .safetensors file; give a model folder or a .safetensors file");
            Path parent = path.toAbsolutePath().getParent();
            return new LocalModel(path, List.of(path), parent);
        }
        if (!Files.isDirectory(path)) throw new LortException(path + ": neither a file nor a folder");
        Path index = path.resolve(INDEX);
        if (Files.isRegularFile(index)) return new LocalModel(path, fromIndex(path, index), path);
        List<Path> all;
        try (Stream<Path> s = Files.list(path)) {
            all = s.filter(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p))
                    .sorted().toList();
        } catch (IOException e) {
            throw new LortException(path + ": cannot list folder (" + e.getMessage() + ")");
        }
        if (all.isEmpty()) throw new LortException(path + ": no .safetensors files in this folder (LoRT reads safetensors; convert .bin/.pth checkpoints first)");
        List<Path> shards = shards(path, all);
        return new LocalModel(path, shards != null ? shards : all, path);
    }

    private static List<Path> fromIndex(Path dir, Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new LortException(index + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) throw new LortException(index + ": has no weight_map");
        Set<String> names = new LinkedHashSet<>();
        map.fields().forEachRemaining(e -> names.add(e.getValue().asText()));
        List<Path> files = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String n : names.stream().sorted().toList()) {
            Path p = dir.resolve(n).normalize();
            if (!p.startsWith(dir.normalize()) ) throw new LortException(index + ": shard name '" + n + "' points outside the model folder");
            if (!Files.isRegularFile(p)) missing.add(n); else files.add(p);
        }
        if (!missing.isEmpty()) throw new LortException(index + " names shards that are missing: " + String.join(", ", missing) + " (download them again)");
        return files;
    }

    /** Returns the shard set in order when every file is part of one complete set, else null. */
    private static List<Path> shards(Path dir, List<Path> all) {
        TreeMap<Integer, Path> byIndex = new TreeMap<>();
        String stem = null;
        int total = -1;
        for (Path p : all) {
            Matcher m = SHARD.matcher(p.getFileName().toString());
            if (!m.matches()) return null;
            int n = Integer.parseInt(m.group(3));
            if (stem == null) { stem = m.group(1); total = n; }
            else if (!stem.equals(m.group(1)) || total != n) return null;
            byIndex.put(Integer.parseInt(m.group(2)), p);
        }
        List<String> missing = new ArrayList<>();
        for (int k = 1; k <= total; k++) if (!byIndex.containsKey(k)) missing.add(String.format("%s-%05d-of-%05d.safetensors", stem, k, total));
        if (!missing.isEmpty()) throw new LortException(dir + ": shard set is incomplete, missing " + String.join(", ", missing));
        return new ArrayList<>(byIndex.values());
    }
}
