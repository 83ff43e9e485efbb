package ai.lort.heal;

import java.util.ArrayList;
import java.util.List;

/**
 * Adam over a set of float parameter arrays with their gradient arrays: per element
 * {@code m = β1·m + (1 − β1)·g}, {@code v = β2·v + (1 − β2)·g²},
 * {@code p −= lr·f·(m̂ / (√v̂ + ε))} with the bias-corrected m̂, v̂ and the array's rate factor f. The learning rate follows
 * {@link #rate}: a linear warm-up, then a cosine down to a tenth. Deterministic: element order only.
 */
public final class Adam {
    /** One parameter array, its gradient (same length), and the factor of the step's learning rate it trains at. */
    public record Param(String name, float[] value, float[] grad, float rate) {
        /** At the step's learning rate. */
        public Param(String name, float[] value, float[] grad) { this(name, value, grad, 1f); }
    }

    private final List<Param> params = new ArrayList<>();
    private final List<float[]> m = new ArrayList<>(), v = new ArrayList<>();
    private final float beta1, beta2, eps;
    private int step;

    public Adam(float beta1, float beta2, float eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    public static Adam defaults() { return new Adam(0.9f, 0.999f, 1e-8f); }

    public void add(Param p) {
        if (p.value().length != p.grad().length) throw new IllegalArgumentException(p.name() + ": gradient of another length");
        params.add(p);
        m.add(new float[p.value().length]);
        v.add(new float[p.value().length]);
    }

    public List<Param> params() { return params; }

    /** Number of elements trained. */
    public long size() { return params.stream().mapToLong(p -> p.value().length).sum(); }

    /** Zeroes every gradient. */
    public void zeroGrad() {
        for (Param p : params) java.util.Arrays.fill(p.grad(), 0f);
    }

    /** Multiplies every gradient by {@code factor} (the mean over a batch). */
    public void scaleGrad(float factor) {
        for (Param p : params) {
            float[] g = p.grad();
            for (int i = 0; i < g.length; i++) g[i] *= factor;
        }
    }

    /** The gradient's L2 norm over all parameters. */
    public double gradNorm() {
        double s = 0;
        for (Param p : params) for (float g : p.grad()) s += (double) g * g;
        return Math.sqrt(s);
    }

    /** One update with learning rate {@code lr} (times each array's {@link Param#rate}). */
    public void step(float lr) {
        step++;
        float c1 = 1 - (float) StrictMath.pow(beta1, step), c2 = 1 - (float) StrictMath.pow(beta2, step);
        for (int k = 0; k < params.size(); k++) {
            Param p = params.get(k);
            float[] x = p.value(), g = p.grad(), mk = m.get(k), vk = v.get(k);
            float lrk = lr * p.rate();
            for (int i = 0; i < x.length; i++) {
                mk[i] = beta1 * mk[i] + (1 - beta1) * g[i];
                vk[i] = beta2 * vk[i] + (1 - beta2) * g[i] * g[i];
                float mh = mk[i] / c1, vh = vk[i] / c2;
                x[i] -= lrk * (mh / ((float) Math.sqrt(vh) + eps));
            }
        }
    }

    /** The learning rate of step {@code s} (0-based) of {@code total}: linear warm-up over {@code warmup} steps, then cosine to peak / 10. */
    public static float rate(float peak, int s, int total, int warmup) {
        if (s < warmup) return peak * (s + 1) / warmup;
        double t = total <= warmup ? 1 : (double) (s - warmup) / Math.max(1, total - warmup);
        return (float) (peak * (0.1 + 0.9 * 0.5 * (1 + StrictMath.cos(Math.PI * Math.min(1, t)))));
    }
}
