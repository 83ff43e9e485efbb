package ai.lort.engine.cuda;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code .entry} kernels of a PTX file and the byte size of each of their parameters. */
final class PtxSignatures {
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)", Pattern.DOTALL);
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w)(\\d+)\\s+\\w+");

    private PtxSignatures() {}

    static Map<String, List<Integer>> parse(String ptx) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            List<Integer> sizes = new ArrayList<>();
            Matcher p = PARAM.matcher(m.group(2));
            while (p.find()) sizes.add(Integer.parseInt(p.group(2)) / 8);
            out.put(m.group(1), sizes);
        }
        return out;
    }
}
