package ai.lort.cli;

import ai.lort.api.Device;
import ai.lort.api.LortModel;
import ai.lort.api.ModelOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code --model} and {@code --revision} of the commands that run a model (infer, eval, serve): a
 * .lort file, or anything compress reads (folder, file, shards, hub id), so the original and the
 * compressed model go through the same engine.
 */
final class ModelOption {
    @Option(names = "--model", required = true, paramLabel = "<MODEL>",
            description = "A .lort file, a safetensors model folder or file, or a Hugging Face id (org/name)")
    String model;

    @Mixin RevisionOption revision;

    /**
     * Opens --model through the library API (downloading a hub model first, with progress on
     * stderr); {@code context} 0 is the model's own up to 4096.
     */
    LortModel open(ThreadsOption threads, DeviceOption device, int context, int parallel, int queue) {
        return LortModel.open(model, ModelOptions.builder().threads(threads.count()).device(Device.valueOf(device.choice().name()))
                .context(context).parallel(parallel).queue(queue).revision(revision.revision).build());
    }
}
