# Sourced by the launchers and .ci/run: finds a JDK >= 25 and sets JAVA_HOME.
# Order: $JAVA_HOME if it is 25+, then the default java, then /usr/lib/jvm/*.
lort_java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'; }
lort_find_jdk() {
  local cand
  for cand in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" /usr/lib/jvm/*; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    if [ "$(lort_java_major "$cand")" -ge 25 ] 2>/dev/null; then echo "$cand"; return 0; fi
  done
  return 1
}
if ! LORT_JDK=$(lort_find_jdk); then
  echo "lort: a JDK 25 or newer is needed (none found in JAVA_HOME, PATH or /usr/lib/jvm); install Temurin 25 and set JAVA_HOME" >&2
  exit 1
fi
export JAVA_HOME="$LORT_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
LORT_JVM_FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC"
# Maven's own libraries trip JDK 25's Unsafe warnings; they are noise for our users.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
