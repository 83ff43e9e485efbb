#!/usr/bin/env bash
# Compiles kernels/lort_kernel.cu to PTX with the one set of flags the project uses.
#   kernels/build-ptx.sh [OUT]            OUT defaults to kernels/lort_kernel.ptx (the committed file)
#   kernels/build-ptx.sh --require OUT    exit 3 when no nvcc is found (the staleness test skips then)
# Without nvcc (and without --require) it says so and exits 0: the committed PTX is used as is.
# Why compute_75: it is the oldest target CUDA 13 accepts, so one PTX file is JIT-compiled by the
# driver for every GPU from Turing (sm_75) to Hopper (sm_90) and Blackwell.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
require=0
if [ "${1:-}" = "--require" ]; then require=1; shift; fi
out="${1:-$root/kernels/lort_kernel.ptx}"
nvcc="$(command -v nvcc || true)"
if [ -z "$nvcc" ]; then
  for cand in "${CUDA_HOME:-/nonexistent}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
    if [ -x "$cand" ]; then nvcc="$cand"; break; fi
  done
fi
if [ -z "$nvcc" ]; then
  if [ "$require" = 1 ]; then echo "nvcc not found (PATH, \$CUDA_HOME/bin, /usr/local/cuda/bin)" >&2; exit 3; fi
  echo "lort: nvcc not found; the jar gets the committed kernels/lort_kernel.ptx" >&2
  exit 0
fi
mkdir -p "$(dirname "$out")"
exec "$nvcc" -ptx -arch=compute_75 "$root/kernels/lort_kernel.cu" -o "$out"
