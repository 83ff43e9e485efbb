#!/usr/bin/env bash
# JMH benchmarks of the matrix kernels (single thread), printed with GB/s of weight bytes.
#   bench/kernels.sh                         all of KernelBench (ternary, its scalar reference, BF16)
#   bench/kernels.sh 'KernelBench.(ternary|bf16)$' -p memory=cold   any JMH options/regexps
# Benchmarks are test sources: `mvn verify` compiles them but never runs them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
cp="$(bench_classpath)"
[ $# -gt 0 ] || set -- 'ai.lort.bench.KernelBench'
exec java --add-modules jdk.incubator.vector -cp "$cp" ai.lort.bench.BenchMain "$@"
