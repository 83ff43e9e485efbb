#!/usr/bin/env bash
# Kernels timed in thread CPU time, side by side in one JVM (see CpuTimeBench): use on a shared
# machine, where JMH's wall-clock numbers mostly measure the scheduler.   bench/cputime.sh [rank] [rounds]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
. "$root/bench/common.sh"
cd "$root"
cp="$(bench_classpath)"
exec java --add-modules jdk.incubator.vector -Xmx2g -cp "$cp" ai.lort.bench.CpuTimeBench "$@"
