#!/usr/bin/env bash
# Generation speed: the Qwen2.5-0.5B-shaped BF16 model against its .lort files (default, and with
# --include-lm-head: the tied head compressed too), side by side in one JVM, with weight bytes
# per token and the machine's read bandwidth measured in the same run.
#   bench/infer.sh [tokens] [threads] [rounds]   (compresses the .lort files first when missing)
# Each model runs [rounds] times (default 5), the models taking turns, every run between two
# bandwidth measurements: the bandwidth of this VM moves with its neighbours from second to second.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
out=bench/out
[ -f $out/qwen2.5-0.5b-shaped.lort ] || bench/compress.sh
[ -f $out/qwen2.5-0.5b-shaped-head.lort ] || bin/lort compress --model $out/qwen2.5-0.5b-shaped \
  --output $out/qwen2.5-0.5b-shaped-head.lort --method als --include-lm-head --quiet
cp="$(bench_classpath)"
machine_line
exec java $LORT_JVM_FLAGS -Xmx4g -cp "$cp" ai.lort.bench.InferBench $out/qwen2.5-0.5b-shaped \
  $out/qwen2.5-0.5b-shaped.lort,$out/qwen2.5-0.5b-shaped-head.lort "${1:-32}" "${2:-$(nproc)}" "${3:-5}"
