#!/usr/bin/env bash
# JMH benchmarks of the decomposition kernels (thin products with W, randomized SVD, ALS), one
# thread, with GFLOP/s; then the same products through numpy (OpenBLAS) for a side-by-side.
#   bench/decompose.sh [JMH options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
cp="$(bench_classpath)"
machine_line
java --add-modules jdk.incubator.vector -cp "$cp" ai.lort.bench.DecomposeBench 'ai.lort.bench.DecomposeBench' "$@"
if python3 -c 'import numpy' 2>/dev/null; then
  # One thread, like the Java runs; OPENBLAS_CORETYPE stays as the machine sets it.
  OPENBLAS_NUM_THREADS=1 python3 - <<'PY'
import time, numpy as np
rng = np.random.default_rng(1)
for m, n in ((4864, 896), (896, 896)):
    w = rng.random((m, n), dtype=np.float32) - 0.5
    x = rng.random((n, 17), dtype=np.float32) - 0.5
    y = rng.random((m, 17), dtype=np.float32) - 0.5
    for name, f in (("numpy W@X", lambda: w @ x), ("numpy W.T@Y", lambda: w.T @ y)):
        f(); t = time.perf_counter(); reps = 20
        for _ in range(reps): f()
        ms = (time.perf_counter() - t) / reps * 1e3
        print(f"{name:24s} {m}x{n:<6d} {ms:10.3f} {2*m*n*17/(ms*1e6):10.2f}")
PY
fi
