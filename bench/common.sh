# Sourced by the benchmark scripts (after bin/lort-env.sh, from the repository root).

# Compiles the test sources (where the benchmarks live) and prints their classpath.
bench_classpath() {
  mvn -q -B -ntp test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
  echo "target/test-classes:target/classes:$(cat target/bench.classpath)"
}

# One line naming the machine and its load: benchmark numbers mean little without it.
machine_line() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
}
