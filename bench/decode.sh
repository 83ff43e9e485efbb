#!/usr/bin/env bash
# Prefill and decode speed of one model's .lort against its source, and where a decode step's time
# goes (DecodeBench): file size, bits per weight over the file and over the compressed layers,
# prefill tok/s of a 512-token prompt (less where the model's context is shorter), decode tok/s of
# both models taking turns, and the split of a step (head, ternary and low-rank products and their
# steps, rotation, attention, norms and the rest, sampling, thread hand-offs).
#   bench/decode.sh [MODEL] [threads] [decode tokens] [rounds] [prompt tokens]
# MODEL: a source model folder (default: the Qwen2.5-0.5B-shaped benchmark model, written first when
# missing), compressed when missing into bench/out/NAME-default[-OPTIONS].lort with the defaults and
# --heal-steps 0 (healing is left out to keep the run short; it changes no shape, so no speed) plus
# $LORT_COMPRESS_OPTS (e.g. "--embeddings q8"); or a .lort file, with $LORT_SOURCE naming its source.
# Defaults: 2 threads, 3 rounds of 32 tokens, a 512-token prompt.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
[ -f target/lort.jar ] || mvn -q -B -ntp -DskipTests package
out=bench/out
mkdir -p $out
model="${1:-$out/qwen2.5-0.5b-shaped}"
opts="${LORT_COMPRESS_OPTS:-}"
if [ -f "$model" ]; then
  lort="$model"
  source="${LORT_SOURCE:--}"
else
  if [ "$model" = "$out/qwen2.5-0.5b-shaped" ]; then
    [ -f "$model/model-00002-of-00002.safetensors" ] || java $LORT_JVM_FLAGS -cp target/lort.jar ai.lort.tools.SyntheticModel "$model"
    # The calibrated method turns its calibration text into tokens: the synthetic model has no tokenizer.
    shared="${LORT_SHARED:-$root/../shared}"
    [ -f "$model/tokenizer.json" ] || cp "$shared/tokenizers/qwen3/tokenizer.json" "$shared/tokenizers/qwen3/tokenizer_config.json" "$model/"
  fi
  suffix="$(echo "$opts" | sed -e 's/--//g' -e 's/[^A-Za-z0-9.]\+/-/g' -e 's/^-*//' -e 's/-*$//')"
  lort="$out/$(basename "$model")-default${suffix:+-$suffix}.lort"
  if [ ! -f "$lort" ]; then
    echo "compressing: lort compress --model $model --output $lort --heal-steps 0 $opts" >&2
    # shellcheck disable=SC2086
    /usr/bin/time -f "compress: wall %e s" bin/lort compress --model "$model" --output "$lort" --heal-steps 0 $opts --quiet >&2
  fi
  source="$model"
fi
cp="$(bench_classpath)"
machine_line
echo "model: $lort (source: $source)"
exec java $LORT_JVM_FLAGS -Xmx4g -cp "$cp" ai.lort.bench.DecodeBench "$lort" "$source" "${2:-2}" "${3:-32}" "${4:-3}" "${5:-512}"
