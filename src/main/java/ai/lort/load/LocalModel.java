package ai.lort.load;

import ai.lort.LortException;
import ai.lort.util.StrictJson;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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
    private static final Pattern SHARD = Pattern.compile("(.+)-(\\d{1,6})-of-(\\d{1,6})\\.safetensors");
    /** A shard index is a few hundred bytes per tensor; anything far larger is not one. */
    private static final long MAX_INDEX = 64L << 20;

    /** Files beside the weights that a `.lort` embeds when present. */
    public static final List<String> METADATA_FILES = List.of(
            "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json",
            "chat_template.jinja", "chat_template.json");

    public static LocalModel resolve(Path path) {
        if (!Files.exists(path)) throw new LortException(path + ": no such file or folder");
        if (Files.isRegularFile(path)) {
            String name = path.getFileName().toString();
            if (name.endsWith(".lort") || startsWithLortMagic(path))
                throw new LortException(path + ": a .lort file (already compressed), but a safetensors model is needed here (a folder or a .safetensors file)");
            if (!name.endsWith(".safetensors"))
                throw new LortException(path + ": taken for a model file because it exists, but it is not named *.safetensors; give a model folder or a .safetensors file");
            Path parent = path.toAbsolutePath().getParent();
            return new LocalModel(path, List.of(path), parent);
        }
        if (!Files.isDirectory(path)) throw new LortException(path + ": not a regular file or a folder (a device, pipe or socket); give a model folder or a .safetensors file");
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

    private static boolean startsWithLortMagic(Path path) {
        try (var in = Files.newInputStream(path)) {
            return java.util.Arrays.equals(in.readNBytes(4), new byte[] {'L', 'O', 'R', 'T'});
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Path> fromIndex(Path dir, Path index) {
        List<Path> files = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Path p : shardPaths(dir, index, readIndex(index))) {
            if (!Files.isRegularFile(p)) missing.add(p.getFileName().toString()); else files.add(p);
        }
        if (!missing.isEmpty()) throw new LortException(index + " names shards that are missing or not regular files: " + list(missing) + " (download them again)");
        return files;
    }

    /**
     * The shard files a {@code model.safetensors.index.json} names (its {@code weight_map} values),
     * in name order, each checked to lie inside {@code dir}; nothing is opened.
     */
    static List<Path> shardPaths(Path dir, Path index, byte[] json) {
        JsonNode root = StrictJson.object(json, index.toString());
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) throw new LortException(index + ": has no weight_map (an object of tensor name -> shard file)");
        Set<String> names = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual() || e.getValue().textValue().isEmpty())
                throw new LortException(index + ": weight_map entry '" + e.getKey() + "' is not a file name");
            names.add(e.getValue().textValue());
        }
        Path base = dir.toAbsolutePath().normalize();
        List<Path> paths = new ArrayList<>();
        for (String n : names) {
            Path p;
            try {
                p = base.resolve(n).normalize();
            } catch (InvalidPathException e) {
                throw new LortException(index + ": shard name '" + n + "' is not a valid file name");
            }
            if (!p.startsWith(base) || p.equals(base)) throw new LortException(index + ": shard name '" + n + "' points outside the model folder");
            paths.add(p);
        }
        return paths;
    }

    private static byte[] readIndex(Path index) {
        try {
            if (Files.size(index) > MAX_INDEX) throw new LortException(index + ": " + Files.size(index) + " bytes, too large for a shard index");
            return Files.readAllBytes(index);
        } catch (IOException e) {
            throw new LortException(index + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The first few names of a list, and how many more. */
    private static String list(List<String> names) {
        int shown = Math.min(names.size(), 3);
        return String.join(", ", names.subList(0, shown)) + (names.size() > shown ? " and " + (names.size() - shown) + " more" : "");
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
            int k = Integer.parseInt(m.group(2));
            if (k < 1 || k > n) return null;
            if (stem == null) { stem = m.group(1); total = n; }
            else if (!stem.equals(m.group(1)) || total != n) return null;
            byIndex.put(k, p);
        }
        if (byIndex.size() != total) {
            List<String> missing = new ArrayList<>();
            for (int k = 1; k <= total && missing.size() < 4; k++)
                if (!byIndex.containsKey(k)) missing.add(String.format("%s-%05d-of-%05d.safetensors", stem, k, total));
            throw new LortException(dir + ": shard set is incomplete, " + (total - byIndex.size()) + " of " + total + " shards missing: "
                    + String.join(", ", missing.subList(0, Math.min(3, missing.size()))) + (total - byIndex.size() > 3 ? ", ..." : ""));
        }
        return new ArrayList<>(byIndex.values());
    }
}
