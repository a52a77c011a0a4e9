#!/bin/sh
# Whole-process cost of `tapc check` and `tapc build` per service, for generated
# platforms of 1,000 to 10,000 services (BENCHMARKS.md, "Per service, whole
# process"): the mean CPU time (perf's task-clock) and wall time of RUNS runs
# (default 5), the peak memory (max RSS) of one more run, and the CPU time
# divided by the services.
#
#   cargo build --release --example gen --bin tapc
#   sh benches/scale.sh [RUNS] [SIZES...]    # TAPC_BIN=DIR: tapc and examples/gen from DIR
#
# `build` writes into a directory under $TMPDIR (set TMPDIR to a tmpfs to
# leave the disk's speed out: every file is written with fsync).
set -eu
runs=${1:-5}
[ $# -gt 0 ] && shift
sizes=${*:-1000 2000 5000 10000}
bin=${TAPC_BIN:-target/release}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| services | command | CPU | wall | max RSS | CPU per service |"
echo "|---|---|---|---|---|---|"
for n in $sizes; do
    "$bin/examples/gen" "$n" > "$work/gen.tap"
    for cmd in check build; do
        if [ "$cmd" = build ]; then
            set -- "$bin/tapc" build "$work/gen.tap" -o "$work/out"
        else
            set -- "$bin/tapc" check "$work/gen.tap"
        fi
        perf stat -r "$runs" -e task-clock -o "$work/stat" "$@" > /dev/null 2>&1
        /usr/bin/time -f "%M" -o "$work/rss" "$@" > /dev/null 2>&1
        awk -v n="$n" -v c="$cmd" -v rss="$(cat "$work/rss")" '
            /task-clock/ { gsub(",", "", $1); cpu = $1 / 1000 }
            /time elapsed/ { wall = $1 }
            END { printf "| %d | `tapc %s` | %.3f s | %.3f s | %.1f MiB | %.1f µs |\n",
                  n, c, cpu, wall, rss / 1024, cpu * 1e6 / n }' "$work/stat"
    done
done
