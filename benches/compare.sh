#!/usr/bin/env bash
# faasm-engine against wasmtime on python3.wasm and C kernels: runs the
# criterion benchmarks (benches/runtimes.rs), native CPython on the same
# Python programs, and peak RSS of one hello.py per runtime, then prints one
# Markdown table and writes it to benches/RESULTS.md.
#
#   bash benches/compare.sh [CRITERION_FILTER]
#
# Environment:
#   BENCH_QUICK=1        few, short samples (default; shared 2-core machines);
#                        BENCH_QUICK=0 for longer, steadier measurements
#   BENCH_COMPILE_RUNS=N time the from-scratch compile N times (default 1; 0 skips)
#   NATIVE_PYTHON=PATH   the native CPython (default: python3.12 if it runs, else python3)
#   NATIVE_RUNS=N        runs per program for native CPython, median kept (default 3)
#   RESULTS=PATH         where the table goes (default benches/RESULTS.md; "-" for none)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
filter=${1:-}

export BENCH_QUICK=${BENCH_QUICK:-1}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
out=${FAASM_BENCH_OUT:-$CARGO_TARGET_DIR/faasm-bench}
export FAASM_BENCH_OUT=$out
export CRITERION_HOME=$out/criterion
results=${RESULTS:-$root/benches/RESULTS.md}
native_runs=${NATIVE_RUNS:-3}

if [ -z "${NATIVE_PYTHON:-}" ]; then
    if python3.12 -c pass >/dev/null 2>&1; then NATIVE_PYTHON=python3.12; else NATIVE_PYTHON=python3; fi
fi
# The interpreter itself, not a launcher script (pyenv's shims are bash
# scripts that would add their own start-up to hello.py's time).
NATIVE_PYTHON=$("$NATIVE_PYTHON" -c 'import sys; print(sys.executable)')

echo "compare: setup" >&2
bash scripts/fetch-python.sh >&2
bash scripts/fetch-pyperformance.sh >&2
bash scripts/setup-clang.sh >&2

# Fresh results: nothing from an earlier run may end up in this table.
rm -rf "$CRITERION_HOME"
mkdir -p "$out"
rm -f "$out/compile.tsv" "$out/native.tsv" "$out/rss.tsv" "$out/warm.tsv"

echo "compare: cargo bench (BENCH_QUICK=$BENCH_QUICK)" >&2
cargo bench --bench runtimes -- ${filter:+"$filter"} >&2

echo "compare: native CPython ($NATIVE_PYTHON)" >&2
{
    printf 'version\t%s\n' "$("$NATIVE_PYTHON" -c 'import platform; print(platform.python_version())')"
    grep -v '^\s*#' benches/python/workloads.txt | while read -r name dir loops args; do
        [ -n "$name" ] || continue
        case "py-$name" in *"$filter"*) ;; *) continue ;; esac
        times=()
        for _ in $(seq "$native_runs"); do
            # shellcheck disable=SC2086
            line=$("$NATIVE_PYTHON" benches/python/run.py "$loops" "workload/pyperformance/$dir/run_benchmark.py" $args |
                grep "^PYPERF_SHIM $name ") || { echo "compare: native $name printed no timing line" >&2; exit 1; }
            times+=("${line##*seconds=}")
        done
        median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (${#times[@]} + 1) / 2 ))p")
        printf 'py-%s\t%s\n' "$name" "$median"
    done
    # hello.py as a native process (start-up included), median of the runs.
    times=()
    for _ in $(seq "$native_runs"); do
        s=$(date +%s%N); "$NATIVE_PYTHON" benches/python/hello.py >/dev/null; e=$(date +%s%N)
        times+=("$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.9f", (b - a) / 1e9 }')")
    done
    printf 'hello\t%s\n' "$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (${#times[@]} + 1) / 2 ))p")"
} >"$out/native.tsv"

echo "compare: peak RSS of hello.py" >&2
cargo build --release --example bench-runner >&2
runner="$CARGO_TARGET_DIR/release/examples/bench-runner"
for rt in faasm-engine wasmtime; do
    /usr/bin/time -v -o "$out/time-$rt.txt" "$runner" "$rt" run /bench/hello.py >/dev/null
    kb=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$out/time-$rt.txt")
    printf '%s\t%s\n' "$rt" "$kb" >>"$out/rss.tsv"
done
kb=$( { /usr/bin/time -f '%M' "$NATIVE_PYTHON" benches/python/hello.py >/dev/null; } 2>&1 | tail -n1)
printf 'native\t%s\n' "$kb" >>"$out/rss.tsv"

# Warm start as a user sees it: a new process runs `python3.wasm -c pass`
# with the compiled module already cached. Interleaved runs, median kept.
echo "compare: warm start of python3.wasm -c pass, a new process each" >&2
cargo build --release --bin faasm-engine >&2
cli="$CARGO_TARGET_DIR/release/faasm-engine"
cli_cache="$out/cli-cache"
rm -f "$out/warm-raw.tsv" "$out/warm.tsv"
# Fill both caches first (the CLI's also records the wasm in its index
# when the file is older than two seconds).
"$cli" run --cache-dir "$cli_cache" workload/python3.wasm -c pass
"$runner" faasm-engine run -c pass
"$runner" wasmtime run -c pass
for _ in $(seq "${WARM_RUNS:-15}"); do
    for rt in faasm-engine-cli faasm-engine wasmtime; do
        s=$(date +%s%N)
        if [ "$rt" = faasm-engine-cli ]; then
            "$cli" run --cache-dir "$cli_cache" workload/python3.wasm -c pass
        else
            "$runner" "$rt" run -c pass
        fi
        e=$(date +%s%N)
        printf '%s\t%s\n' "$rt" "$(( e - s ))" >>"$out/warm-raw.tsv"
    done
done
for rt in faasm-engine-cli faasm-engine wasmtime; do
    ns=$(awk -v r="$rt" '$1 == r { print $2 }' "$out/warm-raw.tsv" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    printf '%s\t%s\n' "$rt" "$(awk -v n="$ns" 'BEGIN { printf "%.9f", n / 1e9 }')" >>"$out/warm.tsv"
done

python3 benches/tools/make_table.py "$out" "$BENCH_QUICK" "$NATIVE_PYTHON" >"$out/RESULTS.md"
cat "$out/RESULTS.md"
if [ "$results" != "-" ]; then
    # benches/dynlink.sh's section (from its heading to the end) is kept.
    dynlink_heading='## Our CPython build (dynamic linking)'
    if [ -f "$results" ] && grep -qxF "$dynlink_heading" "$results"; then
        { cat "$out/RESULTS.md"; echo; sed -n "/^$dynlink_heading\$/,\$p" "$results"; } >"$results.new"
        mv "$results.new" "$results"
    else
        cp "$out/RESULTS.md" "$results"
    fi
    echo "compare: table written to $results" >&2
fi
