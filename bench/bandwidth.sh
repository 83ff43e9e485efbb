#!/usr/bin/env bash
# Memory read bandwidth of this machine, 1 and 2 threads (the ceiling the kernels are judged against).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kernels.sh" 'ai.lort.bench.BandwidthBench' "$@"
