#!/usr/bin/env bash
# Everything LoRT checks on an NVIDIA GPU, in one run of a few minutes (ai.lort.tools.GpuCheck):
#   1. the CUDA backend against the CPU backend on stories260K, the four tiny models, a tiny
#      synthetic ternary (.lort-layout) model and stories260K compressed to .lort files with the
#      default encodings (t3-b5, row-f16, Hadamard, q4-g32) and with t2-g64 / q8-g32: same greedy
#      continuation, logits within 1e-2;
#   2. decode tokens/s and achieved weight bandwidth of a Qwen2.5-0.5B-shaped model, BF16 original,
#      t2-g64 + rank-32 compressed and rank 32 in the defaults' encodings (t3-b5, row-f16, Hadamard,
#      q4-g32 head), GPU and 2-thread CPU side by side, and the launch overhead.
#
# The GPU machine needs only Linux and an NVIDIA driver (libcuda.so.1, driver >= 580 for the
# committed PTX of CUDA 13): no JDK, no CUDA toolkit, no network. So the run uses a bundle:
#   bench/gpu-check.sh bundle [DIR]  here, with JDK 25: builds target/lort.jar, a jlink-ed runtime
#                                   (java.base + jdk.incubator.vector, 44 MB, kept as a 23 MB
#                                   runtime.tar.gz) and copies the test models from ../shared/models
#                                   (or $LORT_SHARED/models) into DIR (default target/gpu-check, ~40 MB)
#   bench/gpu-check.sh [run] [DIR] [GpuCheck options]
#                                   on the GPU machine: runs the checks and the benchmark from DIR,
#                                   building the bundle first if it is missing and a JDK is here.
#                                   Log: DIR/gpu-check.log (and $OUT/gpu-check.log when $OUT is set).
# GpuCheck options: --bench-only, --tokens N (GPU decode tokens, 128), --cpu-tokens N (8),
#                   --cpu-threads N (2), --rank R (32), --steps N (greedy steps per check, 48).
# Exit status: 0 when every check passes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="run"
case "${1:-}" in bundle|run) cmd="$1"; shift ;; esac
dir="$root/target/gpu-check"
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then dir="$(mkdir -p "$1" && cd "$1" && pwd)"; shift; fi

bundle() {
  . "$root/bin/lort-env.sh"
  echo "gpu-check: building $dir" >&2
  (cd "$root" && mvn -q -B -ntp -DskipTests package >&2)
  rm -rf "$dir/runtime" "$dir/runtime.tar.gz" && mkdir -p "$dir"
  # GpuCheck needs java.base and the Vector API only: `jdeps --print-module-deps target/lort.jar`
  # lists more (java.desktop, java.sql, ... for Jackson's and the chat templates' optional parts),
  # none of which the checks load. Kept as a tarball: the copy to a GPU machine may be size-limited.
  "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector --strip-debug --no-man-pages \
    --no-header-files --compress=zip-9 --output "$dir/runtime" 2>&1 | grep -v 'incubator modules' >&2 || true
  tar czf "$dir/runtime.tar.gz" -C "$dir" runtime && rm -rf "$dir/runtime"
  cp "$root/target/lort.jar" "$dir/lort.jar"
  local shared="${LORT_SHARED:-$root/../shared}"
  rm -rf "$dir/models" && mkdir -p "$dir/models"
  for m in stories260K tiny-llama3 tiny-qwen2 tiny-qwen3 tiny-mistral; do
    [ -d "$shared/models/$m" ] || { echo "gpu-check: $shared/models/$m missing; that check will be skipped" >&2; continue; }
    mkdir -p "$dir/models/$m"
    cp "$shared/models/$m"/config.json "$shared/models/$m"/*.safetensors "$dir/models/$m/"
    cp "$shared/models/$m"/generation_config.json "$shared/models/$m"/model.safetensors.index.json "$dir/models/$m/" 2>/dev/null || true
  done
  # The encodings the defaults write (t3-b5, row-f16, Hadamard, q4-g32 table) and the others, every
  # layer compressed; weight-only fits, so a few seconds each (the kernels do not care how they were fitted).
  if [ -d "$shared/models/stories260K" ]; then
    "$root/bin/lort" compress -m "$shared/models/stories260K" --min-dim 32 --method als --heal-steps 0 -q \
      --packing t3-b5 --scales row-f16 --rotation hadamard --embeddings q4 -o "$dir/models/stories260K-defaults.lort" >&2
    "$root/bin/lort" compress -m "$shared/models/stories260K" --min-dim 32 --method als --heal-steps 0 -q \
      --packing t2-g64 --scales row-f16 --rotation none --embeddings q8 -o "$dir/models/stories260K-t2-q8.lort" >&2
  fi
  du -sh "$dir" >&2
}

if [ "$cmd" = "bundle" ]; then bundle; exit 0; fi
if [ ! -f "$dir/runtime.tar.gz" ] || [ ! -f "$dir/lort.jar" ]; then
  if command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ]; then bundle
  else echo "gpu-check: no bundle at $dir and no JDK to build one; run 'bench/gpu-check.sh bundle' on a machine with JDK 25 and copy $dir here" >&2; exit 2; fi
fi
rt="${TMPDIR:-/tmp}/lort-gpu-check-runtime"
rm -rf "$rt" && mkdir -p "$rt" && tar xzf "$dir/runtime.tar.gz" -C "$rt" --strip-components=1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv,noheader || true
log="$dir/gpu-check.log"
touch "$log" 2>/dev/null || log="${TMPDIR:-/tmp}/gpu-check.log"
set +e
"$rt/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
  -Xmx12g -cp "$dir/lort.jar" ai.lort.tools.GpuCheck --models "$dir/models" --bench "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ -n "${OUT:-}" ] && [ -d "${OUT}" ]; then cp "$log" "$OUT/gpu-check.log"; fi
exit "$rc"
