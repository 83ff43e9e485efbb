#!/usr/bin/env bash
# Batched products (64 tokens, single thread): the register-tiled dense kernels against a matvec
# per token, in thread CPU time, interleaved in one JVM (MatmulBench.main). For JMH wall time:
#   bench/kernels.sh ai.lort.bench.MatmulBench
#   bench/matmul.sh [rounds]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/lort-env.sh"
cd "$root"
mvn -q -B -ntp test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
exec java $LORT_JVM_FLAGS -Xmx2g -cp "$cp" ai.lort.bench.MatmulBench "$@"
