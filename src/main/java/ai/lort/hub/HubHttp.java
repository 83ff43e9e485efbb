package ai.lort.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * HTTP to the hub. Redirects are followed here rather than by the client, because the token must
 * only ever go to the endpoint's own origin: the LFS storage host that large files redirect to
 * must never see it.
 */
final class HubHttp {
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    private static final int MAX_REDIRECTS = 10;

    private final HttpClient client = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(20))
            .build();
    private final URI endpoint;
    private final String token;
    private final String userAgent = "lort/" + ai.lort.Version.current() + "; java/" + Runtime.version().feature();

    HubHttp(HubEnvironment env) {
        this.endpoint = env.endpoint();
        this.token = env.token();
    }

    boolean sendsToken() { return token != null; }

    URI endpoint() { return endpoint; }

    /** Builds {@code {endpoint}/{path}}; callers encode the parts of {@code path}. */
    URI url(String path) { return URI.create(endpoint + "/" + path); }

    HttpResponse<String> getText(URI uri) throws IOException {
        return send(uri, "GET", -1, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), true);
    }

    /**
     * HEAD as {@code huggingface_hub} does it: same-origin (relative) redirects are followed, and a
     * redirect to another host is returned as is, since its headers carry the LFS etag and size.
     */
    HttpResponse<Void> head(URI uri) throws IOException {
        return send(uri, "HEAD", -1, HttpResponse.BodyHandlers.discarding(), false);
    }

    /** HEAD that follows every redirect, for mirrors whose redirects lack the X-Linked headers. */
    HttpResponse<Void> headFollowingAll(URI uri) throws IOException {
        return send(uri, "HEAD", -1, HttpResponse.BodyHandlers.discarding(), true);
    }

    /** GET that follows every redirect, from byte {@code from} on when it is above zero. */
    HttpResponse<InputStream> openStream(URI uri, long from) throws IOException {
        return send(uri, "GET", from, HttpResponse.BodyHandlers.ofInputStream(), true);
    }

    private <T> HttpResponse<T> send(URI uri, String method, long rangeFrom, HttpResponse.BodyHandler<T> handler,
                                     boolean followOtherHosts) throws IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current)
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .header("User-Agent", userAgent)
                    .timeout(Duration.ofMinutes(2));
            if (token != null && sameOrigin(current, endpoint)) request.header("Authorization", "Bearer " + token);
            if (rangeFrom > 0) request.header("Range", "bytes=" + rangeFrom + "-");
            HttpResponse<T> response;
            try {
                response = client.send(request.build(), handler);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted");
            }
            String location = response.headers().firstValue("Location").orElse(null);
            if (!REDIRECTS.contains(response.statusCode()) || location == null) return response;
            URI next = current.resolve(location);
            if (!followOtherHosts && !sameOrigin(next, current)) return response;
            if (response.body() instanceof InputStream in) in.close();
            current = next;
        }
        throw new IOException("too many redirects from " + uri);
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() != -1) return u.getPort();
        return "https".equals(u.getScheme()) ? 443 : 80;
    }

    /** Percent-encodes text for a URL path, as Python's {@code quote}: '/' kept only when asked. */
    static String encode(String text, boolean keepSlash) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/');
            if (plain) out.append(c);
            else out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                    .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
        }
        return out.toString();
    }
}
