#!/bin/sh
# Whole-process CPU of `tapc check FILE` against `tapc --version` (BENCHMARKS.md,
# "Start-up"). On a shared machine the speed drifts over minutes, so the two
# commands alternate: ROUNDS rounds of `perf stat -r 50` each, and the median
# of the rounds' means is reported for each command, with their ratio.
#
#   cargo build --release --bin tapc
#   sh benches/startup.sh [FILE] [ROUNDS] [TAPC]
set -eu
file=${1:-examples/trading.tap}
rounds=${2:-9}
tapc=${3:-target/release/tapc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Mean task-clock, in ms, of 50 runs.
clock() {
    perf stat -x, -r 50 -e task-clock "$@" 2>&1 >/dev/null | awk -F, '/task-clock/ { print $1 }'
}

i=0
while [ "$i" -lt "$rounds" ]; do
    clock "$tapc" --version >> "$work/version"
    clock "$tapc" check "$file" >> "$work/check"
    i=$((i + 1))
done
median() { sort -n "$1" | awk -v m=$(((rounds + 1) / 2)) 'NR == m'; }
v=$(median "$work/version")
c=$(median "$work/check")
echo "tapc --version: $v ms CPU; tapc check $file: $c ms CPU; ratio $(echo "$c $v" | awk '{ printf "%.2f", $1 / $2 }') (medians of $rounds rounds of 50 runs; load: $(cut -d' ' -f1-3 /proc/loadavg))"
