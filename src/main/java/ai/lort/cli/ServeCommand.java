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

    @Option(names = "--port", defaultValue = "8080", paramLabel = "<PORT>", description = "TCP port; 0 picks a free one [default: ${DEFAULT-VALUE}]")
    int port;

    @Option(names = "--api-key", paramLabel = "<KEY>",
            description = "Require 'Authorization: Bearer KEY' on every route but /health [default: LORT_API_KEY, else none]")
    String apiKey;

    @Option(names = "--parallel", defaultValue = "4", paramLabel = "<N>",
            description = "Requests decoded together, each with a KV cache of the whole context (1 on CUDA) [default: ${DEFAULT-VALUE}]")
    int parallel;

    @Option(names = "--queue", defaultValue = "16", paramLabel = "<N>",
            description = "Requests that may wait for a free slot; more get 503 [default: ${DEFAULT-VALUE}]")
    int queue;

    @Option(names = "--max-body", defaultValue = "4194304", paramLabel = "<BYTES>", description = "Largest request body [default: ${DEFAULT-VALUE}]")
    long maxBody;

    @Mixin ContextOption ctx;

    @Mixin ThreadsOption threads;

    @Mixin DeviceOption device;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) throw new LortException("--port must be between 0 and 65535");
        if (parallel < 1 || parallel > 32) throw new LortException("--parallel must be between 1 and 32");
        if (queue < 0) throw new LortException("--queue must be 0 or more");
        if (maxBody < 1024) throw new LortException("--max-body must be at least 1024 bytes");
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
