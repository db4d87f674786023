#!/usr/bin/env bash
# Instruction counts (callgrind) of the guest's work, faasm-engine against
# wasmtime: repeatable where times on shared machines are not. For each
# Python program given, runs it with LOOPS=0 and LOOPS=1 under each runtime
# and prints the instructions of one loop (the difference) and of start-up.
#
#   bash benches/tools/instr_counts.sh [NAME...]     (names from workloads.txt; default: go)
#   bash benches/tools/instr_counts.sh hello         (hello.py, whole guest run)
#
# Needs valgrind. Builds bench-runner with the `valgrind` feature and
# compiles both caches under valgrind (its CPU has no AVX-512) into
# $FAASM_BENCH_OUT (default: $CARGO_TARGET_DIR/faasm-bench-vg); slow: a
# program takes minutes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export FAASM_BENCH_OUT=${FAASM_BENCH_OUT:-$CARGO_TARGET_DIR/faasm-bench-vg}
export BENCH_WASMTIME_POOLING=0
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(go)

cargo build --release --features valgrind --example bench-runner >&2
runner="$FAASM_BENCH_OUT/bench-runner-vg"
mkdir -p "$FAASM_BENCH_OUT"
cp "$CARGO_TARGET_DIR/release/examples/bench-runner" "$runner"
for rt in faasm-engine wasmtime; do
    valgrind --tool=none -q "$runner" "$rt" prepare >&2
done

toggle() {
    case $1 in
        faasm-engine) echo 'engine::run::entry::call' ;;
        wasmtime) echo 'wasmtime::runtime::func::invoke_wasm_and_catch_traps*' ;;
    esac
}
count() { # RUNTIME GUEST_ARGS...
    local rt=$1; shift
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "--toggle-collect=$(toggle "$rt")" \
        "$runner" "$rt" run "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '| program | faasm-engine | wasmtime | ratio |\n|---|---:|---:|---:|\n'
for name in "${names[@]}"; do
    if [ "$name" = hello ]; then
        f=$(count faasm-engine /bench/hello.py); w=$(count wasmtime /bench/hello.py)
        printf '| hello.py (whole run) | %s | %s | %s |\n' "$f" "$w" "$(awk -v a="$f" -v b="$w" 'BEGIN{printf "%.3f", a/b}')"
        continue
    fi
    line=$(grep -E "^$name[[:space:]]" benches/python/workloads.txt) || { echo "no workload $name" >&2; exit 1; }
    read -r _ dir _ args <<<"$line"
    # shellcheck disable=SC2086
    f0=$(count faasm-engine /bench/run.py 0 "/pyperformance/$dir/run_benchmark.py" $args)
    # shellcheck disable=SC2086
    f1=$(count faasm-engine /bench/run.py 1 "/pyperformance/$dir/run_benchmark.py" $args)
    # shellcheck disable=SC2086
    w0=$(count wasmtime /bench/run.py 0 "/pyperformance/$dir/run_benchmark.py" $args)
    # shellcheck disable=SC2086
    w1=$(count wasmtime /bench/run.py 1 "/pyperformance/$dir/run_benchmark.py" $args)
    f=$((f1 - f0)); w=$((w1 - w0))
    printf '| %s, one loop | %s | %s | %s |\n' "$name" "$f" "$w" "$(awk -v a="$f" -v b="$w" 'BEGIN{printf "%.3f", a/b}')"
    printf '| %s, start-up | %s | %s | %s |\n' "$name" "$f0" "$w0" "$(awk -v a="$f0" -v b="$w0" 'BEGIN{printf "%.3f", a/b}')"
done
