package ai.lort.locate;

import ai.lort.load.LocalModel;
import java.util.Map;

/**
 * A model found on disk, and where it came from: {@code {"type":"local","path":...}} or
 * {@code {"type":"hub","id":...,"revision":...,"commit":...,"files":{path: etag}}}. The provenance
 * goes into the {@code .lort} metadata as is, so it never holds a token.
 */
public record LocatedModel(LocalModel local, Map<String, Object> provenance) {}
