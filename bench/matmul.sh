#!/usr/bin/env bash
# Batched products (64 and 256 tokens, single thread): the dense matmul (packed product from 32
# tokens) against the 2-row x 8-token tile it replaced there, in thread CPU time, interleaved in one
# JVM, then one 2-thread figure (MatmulBench.main). For JMH wall time:
#   bench/kernels.sh ai.lort.bench.MatmulBench
#   bench/matmul.sh [rounds]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
cp="$(bench_classpath)"
machine_line
exec java $LORT_JVM_FLAGS -Xmx2g -cp "$cp" ai.lort.bench.MatmulBench "$@"
