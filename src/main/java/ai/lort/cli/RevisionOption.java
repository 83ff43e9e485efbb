package ai.lort.cli;

import ai.lort.locate.LocatedModel;
import ai.lort.locate.ModelLocator;
import picocli.CommandLine.Option;

/** {@code --revision}: which revision of a hub model --model names (compress, and infer and eval through {@link ModelOption}). */
final class RevisionOption {
    @Option(names = "--revision", paramLabel = "<REV>", description = "Hub revision (branch, tag or commit) when --model is a hub id")
    String revision;

    /** The files of {@code model}: a local path as it is, a hub id fetched at --revision (refused with a local path). */
    LocatedModel locate(String model, boolean quiet) {
        return ModelLocator.locate(model, revision, quiet);
    }
}
