#!/usr/bin/env bash
# Times `lort compress --method als` (weight-only; calibration needs a model that knows language)
# on a random model shaped like Qwen2.5-0.5B (BF16, two shards + index).
# Usage: bench/compress.sh [extra compress options...]   Writes under bench/out/ (git-ignored).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
[ -f target/lort.jar ] || mvn -q -B -DskipTests package
model=bench/out/qwen2.5-0.5b-shaped
if [ ! -f "$model/model-00002-of-00002.safetensors" ]; then
  echo "writing the synthetic model to $model ..." >&2
  java $LORT_JVM_FLAGS -cp target/lort.jar ai.lort.tools.SyntheticModel "$model"
fi
machine_line
/usr/bin/time -f "wall %e s, user %U s, sys %S s, max resident %M KiB" \
  bin/lort compress --model "$model" --output bench/out/qwen2.5-0.5b-shaped.lort --method als --quiet --json "$@" > bench/out/compress.json
grep -E '"(compressed_layers|compressed_params|bits_per_weight|file_bytes|source_fp16_bytes|ratio_vs_fp16|mean_error|max_error|seconds|peak_resident_bytes|peak_heap_bytes)"' bench/out/compress.json | grep -v '^      '
