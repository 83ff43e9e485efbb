#!/usr/bin/env bash
# Times the calibrated method (the default) on the random model shaped like Qwen2.5-0.5B, with
# 64 calibration sequences of 256 tokens (16,384 tokens), on all cores. The model gets the real
# Qwen tokenizer from ../shared/tokenizers/qwen3; the calibration text is the TinyStories excerpt
# in ../shared/data, two stories per document, cycled until there are 64 documents (the content
# does not change the time; the weights are random anyway, so the errors mean little).
# Usage: bench/calibrate.sh [extra compress options...]   Writes under bench/out/ (git-ignored).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
shared="${LORT_SHARED:-$root/../shared}"
[ -d "$shared/tokenizers/qwen3" ] || { echo "bench/calibrate.sh: needs $shared (tokenizers/qwen3, data/)" >&2; exit 1; }
[ -f target/lort.jar ] || mvn -q -B -DskipTests package
model=bench/out/qwen2.5-0.5b-shaped
if [ ! -f "$model/model-00002-of-00002.safetensors" ]; then
  echo "writing the synthetic model to $model ..." >&2
  java $LORT_JVM_FLAGS -cp target/lort.jar ai.lort.tools.SyntheticModel "$model"
fi
cp -n "$shared/tokenizers/qwen3/tokenizer.json" "$shared/tokenizers/qwen3/tokenizer_config.json" "$model/"
calib=bench/out/calibration-64docs.txt
python3 - "$shared/data/tinystories-valid-excerpt.txt" "$calib" <<'PY'
import sys
stories = [s.strip() for s in open(sys.argv[1]).read().split("<|endoftext|>") if s.strip()]
with open(sys.argv[2], "w") as out:
    for d in range(64):
        out.write(stories[(2 * d) % len(stories)] + "\n" + stories[(2 * d + 1) % len(stories)] + "\n<|endoftext|>\n")
PY
machine_line
/usr/bin/time -f "wall %e s, user %U s, sys %S s, max resident %M KiB" \
  bin/lort compress --model "$model" --output bench/out/qwen2.5-0.5b-shaped-calibrated.lort \
    --calibration "$calib" --calibration-samples 64 --calibration-length 256 --json "$@" > bench/out/calibrate.json
python3 - bench/out/calibrate.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("compressed_layers", "bits_per_weight", "file_bytes", "mean_output_error", "calibration_tokens",
          "calibration_seconds", "calibration_time", "seconds", "peak_resident_bytes", "peak_heap_bytes"):
    print(f"{k}: {d.get(k)}")
PY
