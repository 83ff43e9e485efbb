#!/usr/bin/env bash
# JMH benchmarks of ai.lort.kernel.Gemm (gemm, syrk) and ai.lort.decompose.Cholesky (factor,
# invertLower) on the calibrated decomposition's shapes, 1 and 2 threads, with GFLOP/s; then the
# same operations through numpy (OpenBLAS, 1 and 2 threads) for a side-by-side. Takes about 5
# minutes.
#   bench/dense.sh [JMH options]      e.g. bench/dense.sh -p op=syrk:896x16384 -p threads=1
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
cp="$(bench_classpath)"
machine_line
java --add-modules jdk.incubator.vector -cp "$cp" ai.lort.bench.DenseBench 'ai.lort.bench.DenseBench' "$@"
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 -c 'import numpy' 2>/dev/null || exit 0
for threads in 1 2; do
  # numpy's a.T @ a runs OpenBLAS ssyrk; cholesky is LAPACK spotrf; inv of a triangular matrix
  # is a general sgesv (2n³ flops) as numpy has no strtri, so its GFLOP/s (counted n³/3) are low.
  OPENBLAS_NUM_THREADS=$threads python3 - "$threads" <<'PY'
import sys, time, numpy as np
threads = sys.argv[1]
rng = np.random.default_rng(1)
def rand(*shape): return rng.random(shape, dtype=np.float32) - 0.5
def bench(op, flops, f):
    f(); best = float("inf")
    for _ in range(3):
        t = time.perf_counter(); f(); best = min(best, time.perf_counter() - t)
    print(f"{'numpy ' + op:28s} {threads:>7s} {best * 1e3:10.1f} {flops / best / 1e9:10.1f}", flush=True)
a, b = rand(896, 4864), rand(4864, 4864)
bench("gemm:896x4864x4864", 2 * 896 * 4864 * 4864, lambda: a @ b)
a, b = rand(4864, 896), rand(896, 896)
bench("gemm:4864x896x896", 2 * 4864 * 896 * 896, lambda: a @ b)
a, b = rand(16384, 896), rand(16384, 4864)
bench("gemmTA:896x4864x16384", 2 * 896 * 4864 * 16384, lambda: a.T @ b)
del b
for n in (896, 4864):
    x = rand(16384, n)
    bench(f"syrk:{n}x16384", n * n * 16384, lambda: x.T @ x)
del x
for n in (896, 4864):
    x = rand(n, n)
    h = x.T @ x / n + 0.1 * np.eye(n, dtype=np.float32)
    bench(f"cholesky:{n}", n ** 3 / 3, lambda: np.linalg.cholesky(h))
    l = np.linalg.cholesky(h)
    bench(f"invertLower:{n}", n ** 3 / 3, lambda: np.linalg.inv(l))
PY
  echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
done
