package ai.lort.tokenizer;

import ai.lort.LortException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The {@code post_processor} section of tokenizer.json, for a single sequence: what encode adds
 * around the text's ids when special tokens are asked for (a BOS, for Llama 2 and Mistral).
 */
final class PostProcessors {
    private PostProcessors() {}

    static UnaryOperator<List<Integer>> from(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return UnaryOperator.identity();
        String type = n.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<UnaryOperator<List<Integer>>> steps = new ArrayList<>();
                for (JsonNode child : n.path("processors")) steps.add(from(child));
                yield ids -> {
                    for (UnaryOperator<List<Integer>> step : steps) ids = step.apply(ids);
                    return ids;
                };
            }
            // ByteLevel as a post-processor only trims offsets, which we do not compute.
            case "ByteLevel" -> UnaryOperator.identity();
            case "TemplateProcessing" -> template(n);
            case "BertProcessing", "RobertaProcessing" -> {
                int cls = specialId(n, "cls"), sep = specialId(n, "sep");
                yield ids -> {
                    List<Integer> out = new ArrayList<>(ids.size() + 2);
                    out.add(cls);
                    out.addAll(ids);
                    out.add(sep);
                    return out;
                };
            }
            default -> throw new LortException("tokenizer.json: post-processor type " + type + " is not supported");
        };
    }

    /** The id of Bert's and Roberta's {@code "cls": ["[CLS]", 101]}. */
    private static int specialId(JsonNode n, String field) {
        JsonNode id = n.path(field).path(1);
        if (!id.canConvertToInt()) throw new LortException("tokenizer.json: the post-processor's " + field + " is not [token, id]");
        return BpeModel.tokenId(id.asInt(), field);
    }

    private static UnaryOperator<List<Integer>> template(JsonNode n) {
        List<int[]> items = new ArrayList<>(); // null entry = the sequence itself
        for (JsonNode item : n.path("single")) {
            if (item.has("Sequence")) {
                items.add(null);
            } else if (item.has("SpecialToken")) {
                String name = item.get("SpecialToken").path("id").asText();
                JsonNode special = n.path("special_tokens").path(name);
                if (special.isMissingNode())
                    throw new LortException("tokenizer.json: TemplateProcessing uses " + name + " but does not define it");
                int[] ids = new int[special.path("ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = special.path("ids").get(i).asInt();
                items.add(ids);
            } else {
                throw new LortException("tokenizer.json: TemplateProcessing item not understood: " + item);
            }
        }
        return ids -> {
            List<Integer> out = new ArrayList<>(ids.size() + 2);
            for (int[] item : items) {
                if (item == null) out.addAll(ids);
                else for (int id : item) out.add(id);
            }
            return out;
        };
    }
}
