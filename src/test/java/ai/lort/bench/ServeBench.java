package ai.lort.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Client side of bench/serve.sh: streams greedy completions from a running {@code lort serve}, one
 * alone and then {@code streams} at once, and prints per round the tokens/s of each (aggregate
 * for the concurrent ones) and the time to first token. Usage:
 * {@code ServeBench <base url> <model id> [tokens] [streams] [rounds]}; prints one line per
 * measurement, {@code single} and {@code concurrent}, and medians at the end.
 *
 * <p>Tokens/s are counted two ways: over the request's whole time (prompt included), and over the
 * decode only (tokens after the first, from the first streamed token to the last), which is what
 * {@code lort infer} reports as generated tokens/s.
 */
public final class ServeBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One streamed request: its tokens, and when it started, got its first and its last token (ns). */
    record Stream(int tokens, long start, long first, long last) {}

    public static void main(String[] args) throws Exception {
        String base = args[0], model = args[1];
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int streams = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        run(http, base, model, 0, 8); // warm-up: the JIT compiles the kernels
        List<Double> single = new ArrayList<>(), singleDecode = new ArrayList<>(), ttft = new ArrayList<>();
        List<Double> together = new ArrayList<>(), togetherDecode = new ArrayList<>(), ttftTogether = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            Stream s = run(http, base, model, round, tokens);
            single.add(s.tokens / ((s.last - s.start) / 1e9));
            singleDecode.add((s.tokens - 1) / ((s.last - s.first) / 1e9));
            ttft.add((s.first - s.start) / 1e6);
            System.out.printf(Locale.ROOT, "round %d single:     %6.2f tokens/s (decode %6.2f), first token %6.0f ms%n", round,
                    single.getLast(), singleDecode.getLast(), ttft.getLast());
            List<Future<Stream>> fs = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                int seed = 100 * (round + 1) + i;
                fs.add(pool.submit(() -> run(http, base, model, seed, tokens)));
            }
            List<Stream> done = new ArrayList<>();
            for (Future<Stream> f : fs) done.add(f.get());
            long start = done.stream().mapToLong(Stream::start).min().orElseThrow(), end = done.stream().mapToLong(Stream::last).max().orElseThrow();
            long firstAll = done.stream().mapToLong(Stream::first).max().orElseThrow(), lastFirst = done.stream().mapToLong(Stream::last).min().orElseThrow();
            int total = done.stream().mapToInt(Stream::tokens).sum();
            together.add(total / ((end - start) / 1e9));
            // Decode: tokens after each stream's first, over the span from the last first token to the first end (all streams decoding).
            double decodeRate = done.stream().mapToDouble(d -> (d.tokens - 1) / ((d.last - d.first) / 1e9)).sum();
            togetherDecode.add(decodeRate);
            ttftTogether.add(done.stream().mapToDouble(d -> (d.first - d.start) / 1e6).average().orElseThrow());
            System.out.printf(Locale.ROOT, "round %d concurrent: %6.2f tokens/s aggregate (decode %6.2f, sum of the streams'), first token %6.0f ms mean (%d streams; all decoding together for %.1f s)%n",
                    round, together.getLast(), togetherDecode.getLast(), ttftTogether.getLast(), streams, Math.max(0, lastFirst - firstAll) / 1e9);
        }
        pool.shutdownNow();
        double m1 = median(single), m4 = median(together), d1 = median(singleDecode), d4 = median(togetherDecode);
        System.out.printf(Locale.ROOT, "median single %.2f tokens/s (decode %.2f), first token %.0f ms%n", m1, d1, median(ttft));
        System.out.printf(Locale.ROOT, "median %d streams %.2f tokens/s aggregate (decode %.2f), first token %.0f ms%n", streams, m4, d4, median(ttftTogether));
        System.out.printf(Locale.ROOT, "ratio %d streams / single: %.2fx (decode %.2fx)%n", streams, m4 / m1, d4 / d1);
    }

    /** One streamed greedy completion of {@code tokens} tokens after a short prompt that differs by {@code seed}. */
    static Stream run(HttpClient http, String base, String model, int seed, int tokens) throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode();
        o.putArray("prompt").addAll(java.util.stream.IntStream.of(prompt(seed)).mapToObj(JSON.getNodeFactory()::numberNode).toList());
        String body = JSON.writeValueAsString(o.put("model", model).put("max_tokens", tokens)
                .put("temperature", 0).put("stream", true).set("stream_options", JSON.createObjectNode().put("include_usage", true)));
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime(), first = 0, last = 0;
        int count = -1;
        HttpResponse<java.util.stream.Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode());
        for (String line : (Iterable<String>) r.body()::iterator) {
            if (!line.startsWith("data:")) continue;
            String data = line.substring(5).strip();
            if (data.equals("[DONE]")) break;
            JsonNode chunk = JSON.readTree(data);
            if (chunk.path("usage").isObject()) count = chunk.path("usage").path("completion_tokens").asInt();
            else if (chunk.path("choices").path(0).path("finish_reason").isNull()) {
                long now = System.nanoTime();
                if (first == 0) first = now;
                last = now;
            }
        }
        if (count < 0) throw new IllegalStateException("no usage chunk");
        return new Stream(count, start, first, last);
    }

    /** An 8-token prompt as ids (the benchmark model has no tokenizer); bench/serve.sh gives lort infer the same. */
    static int[] prompt(int seed) {
        return new int[] {1, 100 + seed, 200, 300, 400, 500, 600, 700};
    }

    static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
