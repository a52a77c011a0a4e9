#!/bin/sh
# Whole-process CPU of `tapc check FILE` against `tapc --version` (BENCHMARKS.md,
# "Start-up"). A shared machine's speed drifts within seconds, so the two
# commands alternate run by run: RUNS pairs of runs, each timed by `perf stat`
# (task-clock), and the median of the pairs' ratios is reported, with each
# command's median. (Rounds of `perf stat -r 50` of one command, then of the
# other, measured one binary at anything from 1.17x to 1.51x on a machine
# with stolen time; the pairs' median varies by a hundredth.)
#
#   cargo build --release --bin tapc
#   sh benches/startup.sh [FILE] [RUNS] [TAPC]
set -eu
file=${1:-examples/trading.tap}
runs=${2:-500}
tapc=${3:-target/release/tapc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Each run's task-clock (ms) is appended to a file of its command's and read
# at the end: nothing else runs beside the runs being timed.
i=0
while [ "$i" -lt "$runs" ]; do
    perf stat -x, -e task-clock -o "$work/version" --append "$tapc" --version >/dev/null 2>&1
    perf stat -x, -e task-clock -o "$work/check" --append "$tapc" check "$file" >/dev/null 2>&1
    i=$((i + 1))
done
for c in version check; do
    awk -F, '/task-clock/ { print $1 }' "$work/$c" > "$work/$c.ms"
done
paste -d' ' "$work/version.ms" "$work/check.ms" > "$work/pairs"
median() { sort -n | awk '{ x[NR] = $1 } END { print (NR % 2) ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2 }'; }
v=$(awk '{ print $1 }' "$work/pairs" | median)
c=$(awk '{ print $2 }' "$work/pairs" | median)
r=$(awk '{ print $2 / $1 }' "$work/pairs" | median)
echo "tapc --version: $v ms CPU; tapc check $file: $c ms CPU; ratio $(echo "$r" | awk '{ printf "%.3f", $1 }') (median of $runs pairs of runs; load: $(cut -d' ' -f1-3 /proc/loadavg))"
