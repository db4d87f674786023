#!/usr/bin/env bash
# What timeouts cost: the pyperformance programs of benches/python/workloads.txt
# in python3.wasm, compiled with the interrupt checks that `--timeout`
# relies on (the default: a flag load and branch at every loop header and
# at the entry of every function that calls) and without them
# (FAASM_INTERRUPT_CHECKS=0, which gives the code its own cache entry).
# Each program's benchmark function is timed inside the guest (the pyperf
# shim); RUNS runs per setting, interleaved, median kept. Prints one
# Markdown table with the ratio with/without per program and the geomean.
#
#   bash benches/timeout/run.sh        # RUNS=5 by default
#
# Needs scripts/fetch-python.sh and scripts/fetch-pyperformance.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
runs=${RUNS:-5}
bash scripts/fetch-python.sh >&2
bash scripts/fetch-pyperformance.sh >&2
cargo build --release --quiet --bin faasm-engine
bin=target/release/faasm-engine
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
one() { # CHECKS NAME DIR LOOPS ARGS...: prints the guest's seconds
    local checks=$1 name=$2 dir=$3 loops=$4
    shift 4
    FAASM_INTERRUPT_CHECKS=$checks "$bin" run --cache-dir "$cache" --dir benches/python::/bench \
        --dir workload/pyperformance::/pyperf workload/python3.wasm /bench/run.py "$loops" \
        "/pyperf/$dir/run_benchmark.py" "$@" 2>/dev/null |
        sed -n "s/^PYPERF_SHIM $name .*seconds=//p"
}
# Compile both variants into the cache first.
"$bin" run --cache-dir "$cache" workload/python3.wasm -c pass
FAASM_INTERRUPT_CHECKS=0 "$bin" run --cache-dir "$cache" workload/python3.wasm -c pass
echo "| program | with checks (s) | without (s) | ratio |"
echo "|---|---:|---:|---:|"
ratios=()
while read -r name dir loops args; do
    case "$name" in ''|'#'*) continue ;; esac
    on=(); off=()
    for _ in $(seq "$runs"); do
        # shellcheck disable=SC2086 # program arguments, split as listed
        off+=("$(one 0 "$name" "$dir" "$loops" $args)")
        # shellcheck disable=SC2086
        on+=("$(one 1 "$name" "$dir" "$loops" $args)")
    done
    med() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
    a=$(med "${on[@]}"); b=$(med "${off[@]}")
    r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / b }')
    ratios+=("$r")
    printf '| %s | %.4f | %.4f | %s |\n' "$name" "$a" "$b" "$r"
done < benches/python/workloads.txt
geo=$(printf '%s\n' "${ratios[@]}" | awk '{ s += log($1) } END { printf "%.3f", exp(s / NR) }')
echo "| **geomean (${#ratios[@]})** | | | **$geo** |"
