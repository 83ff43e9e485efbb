#!/usr/bin/env bash
# lort serve with batched decoding: one stream alone against 4 at once, and `lort infer` for
# reference, on the Qwen2.5-0.5B-shaped model's .lort (compressed first when missing, weight-only
# and without healing: --method als --heal-steps 0).
#   bench/serve.sh [tokens] [threads] [rounds] [streams]   (defaults 64 2 3 4)
# The model has no tokenizer: prompts are 8 token ids, the same for infer and the server.
# First `lort infer` [rounds] times (its generated tokens/s; a fresh JVM each), then per round one
# streamed request alone and [streams] at once; tokens/s aggregate and time to first token,
# medians at the end.
# LORT_INFER_JAR=path/to/lort.jar times `lort infer` of another build (e.g. the one before the
# server, whose infer ran Generator directly). LORT_SERVE_LORT=path/to/file.lort benchmarks an
# existing .lort instead (nothing is compressed then).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
tokens=${1:-64} threads=${2:-2} rounds=${3:-3} streams=${4:-4}
out=bench/out
lort=${LORT_SERVE_LORT:-$out/qwen2.5-0.5b-shaped.lort}
[ -f target/lort.jar ] || mvn -q -B -ntp -DskipTests package
if [ ! -f "$lort" ]; then
  [ -f $out/qwen2.5-0.5b-shaped/model-00002-of-00002.safetensors ] || \
    java $LORT_JVM_FLAGS -cp target/lort.jar ai.lort.tools.SyntheticModel $out/qwen2.5-0.5b-shaped
  bin/lort compress --model $out/qwen2.5-0.5b-shaped --output "$lort" --method als --heal-steps 0 --quiet
fi
cp="$(bench_classpath)"
machine_line
port=${LORT_BENCH_PORT:-18181}
bin/lort serve --model "$lort" --threads "$threads" --parallel "$streams" --ctx 512 --port "$port" > $out/serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 1; done
echo "lort infer, $tokens tokens, $threads threads (generated tokens/s):"
for r in $(seq 1 "$rounds"); do
  java $LORT_JVM_FLAGS -Xmx3g -jar "${LORT_INFER_JAR:-target/lort.jar}" infer --model "$lort" --prompt-ids "1,$((100 + r - 1)),200,300,400,500,600,700" --max-tokens "$tokens" --temperature 0 \
    --threads "$threads" --ctx 512 --device cpu 2>&1 >/dev/null | grep -o 'generated: [0-9]* tokens, [0-9.]* tokens/s; time to first token: [0-9]* ms'
done
echo "lort serve --parallel $streams, $tokens tokens a request:"
java -cp "$cp" ai.lort.bench.ServeBench "http://127.0.0.1:$port" "$(basename "$lort")" "$tokens" "$streams" "$rounds"
machine_line
