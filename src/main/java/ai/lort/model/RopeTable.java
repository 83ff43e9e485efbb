package ai.lort.model;

/**
 * Rotary embedding tables, computed as Hugging Face {@code transformers} does: inverse frequencies
 * in float32 (with the linear or llama3 rescaling), angles {@code position · inv_freq} in float32,
 * then cos and sin. Pairs are {@code (i, i + headDim/2)} ({@code rotate_half}), so one table of
 * {@code headDim/2} values per position serves both halves.
 *
 * @param cos {@code positions × headDim/2}, row-major
 * @param sin same layout as {@code cos}
 */
public record RopeTable(int positions, int half, float[] cos, float[] sin) {

    public static RopeTable of(ModelConfig.Rope rope, int headDim, int positions) {
        float[] inv = inverseFrequencies(rope, headDim);
        int half = inv.length;
        float[] cos = new float[positions * half], sin = new float[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * inv[i]; // float32 product, as torch's float matmul
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new RopeTable(positions, half, cos, sin);
    }

    /** {@code inv_freq} of transformers' {@code _compute_*_rope_parameters}, float32 like torch. */
    static float[] inverseFrequencies(ModelConfig.Rope rope, int headDim) {
        int half = headDim / 2;
        float base = (float) rope.theta();
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            inv[i] = 1.0f / (float) Math.pow(base, exponent);
        }
        switch (rope.type()) {
            case "default" -> { }
            case "linear" -> { for (int i = 0; i < half; i++) inv[i] /= (float) rope.factor(); }
            case "llama3" -> llama3(rope, inv);
            default -> throw new IllegalArgumentException("rope type " + rope.type());
        }
        return inv;
    }

    /** Llama 3.1's frequency-dependent rescaling: long wavelengths divided by factor, short kept, a smooth blend between. */
    private static void llama3(ModelConfig.Rope rope, float[] inv) {
        float factor = (float) rope.factor(), low = (float) rope.lowFreqFactor(), high = (float) rope.highFreqFactor();
        float oldContext = rope.originalMaxPositions();
        float lowFreqWavelen = oldContext / low, highFreqWavelen = oldContext / high;
        for (int i = 0; i < inv.length; i++) {
            float wavelen = (float) (2 * Math.PI) / inv[i];
            float scaled = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                float smooth = (oldContext / wavelen - low) / (high - low);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            inv[i] = scaled;
        }
    }
}
