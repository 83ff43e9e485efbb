package ai.lort.hub;

import ai.lort.LortException;
import java.net.URI;
import java.net.http.HttpResponse;

/**
 * Turns the hub's error answers into messages that say what to do. The hub names the error in the
 * {@code X-Error-Code} header; a 401 without one means the token itself was refused. Messages never
 * carry the token.
 */
final class HubErrors {
    private HubErrors() {}

    /**
     * @param file the repo file asked for, or null for the repository metadata call
     */
    static LortException of(HttpResponse<?> response, HubId id, URI endpoint, String file, boolean tokenSent) {
        int status = response.statusCode();
        String code = response.headers().firstValue("X-Error-Code").orElse("");
        String what = file == null ? id.toString() : id.repoId() + ": " + file;
        return switch (code) {
            case "GatedRepo" -> new LortException(id.repoId() + " is gated: accept its licence on " + endpoint + "/" + id.repoId()
                    + " while logged in, then set HF_TOKEN to a token of that account"
                    + (tokenSent ? " (the token sent has no access yet)" : " (no token was sent)"));
            case "RepoNotFound" -> repoNotFound(id, endpoint, tokenSent);
            case "RevisionNotFound" -> revisionNotFound(id);
            case "EntryNotFound" -> fileNotFound(id, file);
            default -> {
                if (status == 401) yield new LortException("the Hugging Face token was refused (HTTP 401) by " + endpoint
                        + ": check HF_TOKEN, HUGGING_FACE_HUB_TOKEN or $HF_HOME/token, or unset them for public models");
                if (status == 404 && file == null) yield repoNotFound(id, endpoint, tokenSent);
                if (status == 404) yield fileNotFound(id, file);
                if (status == 403) yield new LortException(what + ": access denied (HTTP 403) by " + endpoint
                        + "; check that your token may read this model");
                yield new LortException(what + ": " + endpoint + " answered HTTP " + status + "; try again later");
            }
        };
    }

    static LortException repoNotFound(HubId id, URI endpoint, boolean tokenSent) {
        return new LortException("'" + id.repoId() + "' is neither a local file or folder nor a model on " + endpoint
                + ": check the spelling" + (tokenSent ? "; if it is private, your token cannot read it"
                        : "; if it is private, set HF_TOKEN to a token that can read it"));
    }

    static LortException revisionNotFound(HubId id) {
        return new LortException(id.repoId() + " has no revision '" + id.revision()
                + "': give an existing branch, tag or commit sha (--revision or @revision)");
    }

    static LortException fileNotFound(HubId id, String file) {
        return new LortException(id + ": file '" + file + "' is not on the server although the repository lists it;"
                + " try again later, or report it to the model's owner");
    }
}
