# Sourced by the run-*.sh scripts: sets $here, $root and $jar, and builds the benchmarks jar
# and its dependency folder (target/lib) when they are missing or older than the sources.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="$here/target/tasker-benchmarks-0.1.0-SNAPSHOT.jar"

build_if_needed() {
  if [ ! -f "$jar" ] || [ ! -d "$here/target/lib" ] || [ -n "$(find "$root/pom.xml" \
      "$root/protocol" "$root/cluster-node" "$root/http-gateway" "$root/server" \
      "$root/sample-handlers" "$here" \
      \( -path '*/target' -o -path '*/results' \) -prune -o \( -type f -newer "$jar" -print \) \
      2>/dev/null | head -1)" ]; then
    echo "$1: building..." >&2
    rm -rf "$here/target/lib" # copy-dependencies never removes a jar a version change left
    # package, not install: the reactor resolves the modules from their target/ directories
    (cd "$root" && mvn -q -B -DskipTests package -pl benchmarks -am) >&2
    touch "$jar" # an up-to-date jar is left untouched: mark the build done
  fi
}
