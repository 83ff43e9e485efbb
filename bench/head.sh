#!/usr/bin/env bash
# The output head's matvec (151,936 × 896, 2 threads as a decode step runs it) stored BF16, q8-g32
# and q4-g32, with GB/s of stored bytes, next to the machine's read bandwidth with 2 threads.
#   bench/head.sh                      all three storages and the bandwidth
#   bench/head.sh -p dtype=q4-g32      JMH options after the default regexps, or regexps of your own first
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
cp="$(bench_classpath)"
machine_line
case "${1:-}" in ''|-*) set -- 'ai.lort.bench.HeadBench' 'ai.lort.bench.BandwidthBench.read2Threads' "$@" ;; esac
exec java --add-modules jdk.incubator.vector -cp "$cp" ai.lort.bench.HeadBench "$@"
