package ai.lort.hub;

import ai.lort.LortException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.util.OptionalLong;

/**
 * What the hub says about one file before we fetch it, read as {@code huggingface_hub} reads it
 * from a HEAD on {@code resolve}: an LFS file answers with a redirect to its storage host carrying
 * {@code X-Linked-Etag} (its sha256) and {@code X-Linked-Size}; a small file answers, after
 * same-host redirects, with its git blob sha1 as {@code ETag} and its {@code Content-Length}.
 *
 * @param source where to GET the content: the storage URL for LFS files, else {@code resolve}
 */
record RemoteFile(String etag, long size, boolean lfs, URI source) {

    static RemoteFile probe(HubHttp http, HubId id, String file, URI resolve) throws IOException {
        HttpResponse<Void> head = http.head(resolve);
        int status = head.statusCode();
        String location = head.headers().firstValue("Location").orElse(null);
        boolean redirected = status >= 300 && status < 400 && location != null;
        if (status >= 500) throw new IOException("HTTP " + status + " for " + file);
        if (status != 200 && !redirected) throw HubErrors.of(head, id, http.endpoint(), file, http.sendsToken());

        HttpHeaders headers = head.headers();
        String linkedEtag = headers.firstValue("X-Linked-Etag").orElse(null);
        String etag = normalizeEtag(linkedEtag != null ? linkedEtag : headers.firstValue("ETag").orElse(null));
        OptionalLong size = headers.firstValueAsLong("X-Linked-Size");
        URI source = redirected ? head.uri().resolve(location) : resolve;
        if (size.isEmpty() && !redirected) size = headers.firstValueAsLong("Content-Length");
        if (size.isEmpty() || etag == null) { // a mirror that redirects without the X-Linked headers: ask the target
            HttpHeaders target = http.headFollowingAll(source).headers();
            if (size.isEmpty()) size = target.firstValueAsLong("Content-Length");
            if (etag == null) etag = normalizeEtag(target.firstValue("ETag").orElse(null));
        }
        if (etag == null) throw new LortException(id + ": the server sent no ETag for " + file + "; is HF_ENDPOINT a Hugging Face hub?");
        if (size.isEmpty()) throw new LortException(id + ": the server did not say the size of " + file + "; cannot verify the download");
        return new RemoteFile(HubPaths.checkEtag(etag, file), size.getAsLong(), linkedEtag != null, source);
    }

    /** The sha256 to check the content against: LFS etags are one, git blob sha1s are not. */
    String sha256OrNull() { return lfs && etag.matches("[0-9a-fA-F]{64}") ? etag : null; }

    /** huggingface_hub's normalisation: weak marker and quotes removed. */
    static String normalizeEtag(String etag) {
        if (etag == null) return null;
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        e = e.replace("\"", "");
        return e.isEmpty() ? null : e;
    }
}
