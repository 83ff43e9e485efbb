package ai.lort.load;

import ai.lort.LortException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An opened model: every safetensors file memory-mapped, tensors looked up by name across shards.
 * Tensors are views into the mapped files, so opening costs no heap beyond the headers.
 */
public final class SourceModel implements AutoCloseable {
    private final LocalModel location;
    private final List<SafetensorsFile> files;
    private final Map<String, Tensor> tensors;

    private SourceModel(LocalModel location, List<SafetensorsFile> files, Map<String, Tensor> tensors) {
        this.location = location;
        this.files = files;
        this.tensors = tensors;
    }

    public static SourceModel open(LocalModel location) {
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try {
            for (Path p : location.weightFiles()) {
                SafetensorsFile f = SafetensorsFile.open(p);
                files.add(f);
                for (Tensor t : f.tensors().values()) {
                    if (tensors.putIfAbsent(t.name(), t) != null)
                        throw new LortException("tensor '" + t.name() + "' appears in more than one file (second: " + p.getFileName() + "); the folder mixes two models?");
                }
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new SourceModel(location, files, Collections.unmodifiableMap(tensors));
    }

    public LocalModel location() { return location; }

    public List<SafetensorsFile> files() { return files; }

    /** All tensors, file by file in header order. */
    public Map<String, Tensor> tensors() { return tensors; }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new LortException("tensor '" + name + "' is not in the model");
        return t;
    }

    /** Metadata files present beside the weights (config.json, tokenizer files, ...), by name. */
    public Map<String, Path> metadataFiles() {
        Map<String, Path> out = new LinkedHashMap<>();
        if (location.metadataDir() == null) return out;
        for (String n : LocalModel.METADATA_FILES) {
            Path p = location.metadataDir().resolve(n);
            if (Files.isRegularFile(p)) out.put(n, p);
        }
        return out;
    }

    @Override
    public void close() { files.forEach(SafetensorsFile::close); }
}
