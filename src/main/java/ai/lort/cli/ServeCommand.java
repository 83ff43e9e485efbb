package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.api.LortModel;
import ai.lort.serve.OpenAiServer;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Serve a model over HTTP with the OpenAI API (/v1/chat/completions, /v1/completions, /v1/models, /health) until interrupted.",
                "Up to --parallel requests are decoded together, one pass over the weights per step for all of them."})
public final class ServeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ModelOption model;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "<HOST>",
            description = "Address to listen on; 0.0.0.0 for every interface [default: ${DEFAULT-VALUE}]")
    String host;

    int port = 8080;
    int parallel = 4;
    int queue = 16;
    long maxBody = 4 << 20;

    @Option(names = "--port", paramLabel = "<PORT>", description = "TCP port, 0 to 65535; 0 picks a free one [default: 8080]")
    void port(int p) {
        if (p < 0 || p > 65535) throw new BadOptionValue(spec, "--port " + p + " is out of range; use 0 to 65535");
        port = p;
    }

    @Option(names = "--api-key", paramLabel = "<KEY>",
            description = "Require 'Authorization: Bearer KEY' on every route but /health [default: LORT_API_KEY, else none]")
    String apiKey;

    @Option(names = "--parallel", paramLabel = "<N>",
            description = "Requests decoded together, 1 to 32, each with a KV cache of the whole context (1 on CUDA) [default: 4]")
    void parallel(int n) {
        if (n < 1 || n > 32) throw new BadOptionValue(spec, "--parallel " + n + " is out of range; use 1 to 32");
        parallel = n;
    }

    @Option(names = "--queue", paramLabel = "<N>", description = "Requests that may wait for a free slot, 0 to 4096; more get 503 [default: 16]")
    void queue(int n) {
        if (n < 0 || n > 4096) throw new BadOptionValue(spec, "--queue " + n + " is out of range; use 0 to 4096");
        queue = n;
    }

    @Option(names = "--max-body", paramLabel = "<BYTES>", description = "Largest request body, 1024 to 1073741824 bytes [default: 4194304]")
    void maxBody(long n) {
        if (n < 1024 || n > 1L << 30) throw new BadOptionValue(spec, "--max-body " + n + " is out of range; use 1024 to 1073741824");
        maxBody = n;
    }

    @Mixin ContextOption ctx;

    @Mixin ThreadsOption threads;

    @Mixin DeviceOption device;

    @Override
    public Integer call() throws InterruptedException {
        String key = apiKey != null ? apiKey : System.getenv("LORT_API_KEY");
        if (key != null && key.isBlank()) throw new LortException("--api-key is empty");
        LortModel m = model.open(threads, device, ctx.requested(), parallel, queue);
        OpenAiServer server;
        try {
            server = OpenAiServer.start(m, new OpenAiServer.Options(host, port, key, maxBody));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            m.close();
            stopped.countDown();
        }, "lort-serve-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("lort serve: %s on %s, %d parallel, context %d tokens%s%n", m.id(), m.device(), m.parallel(), m.contextLength(),
                key != null ? ", API key required" : "");
        out.println("listening on " + server.address() + "/v1");
        out.flush();
        stopped.await();
        return 0;
    }
}
