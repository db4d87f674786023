#!/usr/bin/env bash
# Our CPython build (dynamic linking, scripts/build-python.sh) under
# faasm-engine against the same build under wasmtime 48 with a loader of its
# own (the `wasmtime-python` example, benches/tools/wasmtime_python.rs):
#
#  1. the time of `import NAME` of a side module, timed inside the guest by
#     benches/python/import_time.py: cold (a cache holding only python.wasm,
#     so the side module is compiled) and warm (the side module cached), and
#     the same module built into python.wasm (a variant build with it in
#     Modules/Setup.local's *static* section, workload/cpython-static/);
#  2. the pyperformance programs of benches/python/workloads.txt (the same
#     programs and pyperf shim as benches/compare.sh) on that build.
#
# Runs of the two runtimes are interleaved, so both see the same load on a
# shared machine. Prints Markdown tables and writes them into
# benches/RESULTS.md as the section "Our CPython build (dynamic linking)"
# (replacing that section, leaving the rest of the file as it is).
#
#   bash benches/dynlink.sh
#
# Environment:
#   IMPORT_MODULES="..."  side modules to time (default: the BUILTIN list below)
#                         a module not in the BUILTIN list gets no "built in" column
#   IMPORT_RUNS=N         runs per module, runtime and case (default 7), median and min kept
#   PY_RUNS=N             runs per pyperformance program and runtime (default 3)
#   PY_FILTER=TEXT        only the programs whose name contains TEXT
#   RESULTS=PATH          file to write the section into (default benches/RESULTS.md; "-" for none)
# Idempotent setup: builds both CPython trees, fetches pyperformance, builds
# faasm-engine and wasmtime-python (release) when they are missing or stale.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
out=$CARGO_TARGET_DIR/dynlink-bench
results=${RESULTS:-$root/benches/RESULTS.md}
# Modules whose PyInit imports no other module (import_time.py reports any
# that do, and the table shows them).
# The built-in variant's list is fixed here (a different list means another
# CPython build of several minutes).
builtin="_json math _struct _bisect _heapq binascii zlib unicodedata"
modules=${IMPORT_MODULES:-$builtin}
import_runs=${IMPORT_RUNS:-7}
py_runs=${PY_RUNS:-3}
dyn=$root/workload/cpython
static=$root/workload/cpython-static

say() { echo "dynlink: $*" >&2; }
die() { echo "dynlink: error: $*" >&2; exit 1; }

say "setup"
bash scripts/build-python.sh >&2
BUILTIN="$builtin" OUT="$static" bash scripts/build-python.sh >&2
bash scripts/fetch-pyperformance.sh >&2
cargo build --release --bin faasm-engine --example wasmtime-python >&2
fe=$CARGO_TARGET_DIR/release/faasm-engine
wp=$CARGO_TARGET_DIR/release/examples/wasmtime-python

# run RUNTIME TREE CACHE GUEST_ARGS...: one process of our CPython build.
run() {
    local rt=$1 tree=$2 cache=$3
    shift 3
    local dirs=(--dir-ro "$tree::/usr/local" --dir-ro "$root/benches/python::/bench"
        --dir-ro "$root/workload/pyperformance::/pyperformance")
    case $rt in
        # </dev/null: the guest must not eat the input of a `while read` loop.
        faasm-engine) "$fe" run --cache-dir "$cache" "${dirs[@]}" "$tree/python.wasm" "$@" </dev/null ;;
        wasmtime) WASMTIME_PYTHON_CACHE=$cache "$wp" "${dirs[@]}" "$tree/python.wasm" "$@" </dev/null ;;
        *) die "unknown runtime $rt" ;;
    esac
}

rm -rf "$out"
mkdir -p "$out"
{
    echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine $(uname -m), $(nproc) CPUs, $(python3 -c 'import platform; print(platform.platform())')"
    echo "load_start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "modules $modules"
} >"$out/meta.txt"

# Caches holding python.wasm compiled (and _opcode, import_time.py's
# warm-up import), one per runtime and tree: a cold run starts from a copy
# of one, so the only thing compiled inside the timed import is the module.
say "caches: python.wasm compiled once per runtime and tree"
for rt in faasm-engine wasmtime; do
    for tree in dyn static; do
        t=$dyn; [ $tree = static ] && t=$static
        run "$rt" "$t" "$out/base-$rt-$tree" -c 'import _opcode' ||
            die "$rt could not run $t/python.wasm"
    done
    # The warm cache: every timed module imported once.
    cp -a "$out/base-$rt-dyn" "$out/warm-$rt"
    for m in $modules; do
        run "$rt" "$dyn" "$out/warm-$rt" -c "import $m" || die "$rt: import $m failed"
    done
done
is_builtin() { case " $builtin " in *" $1 "*) return 0 ;; esac; return 1; }
for m in $builtin; do
    run faasm-engine "$static" "$out/base-faasm-engine-static" -c "import sys; assert '$m' in sys.builtin_module_names" ||
        die "$m is not built into $static/python.wasm"
done

# time_import CASE RUNTIME MODULE RUN: one timed import, appended to imports.tsv.
time_import() {
    local case=$1 rt=$2 m=$3 i=$4 tree=$dyn cache line
    case $case in
        cold) cache=$out/cold; rm -rf "$cache"; cp -a "$out/base-$rt-dyn" "$cache" ;;
        warm) cache=$out/warm-$rt ;;
        builtin) cache=$out/base-$rt-static; tree=$static ;;
    esac
    line=$(run "$rt" "$tree" "$cache" /bench/import_time.py "$m" | grep '^IMPORT_TIME ') ||
        die "$rt ($case) printed no timing for $m"
    printf '%s\t%s\t%s\t%s\t%s\n' "$case" "$rt" "$m" "$i" "$line" >>"$out/imports.tsv"
}

say "import times: $import_runs runs of each module, case and runtime, interleaved"
for i in $(seq "$import_runs"); do
    for m in $modules; do
        for case in cold warm builtin; do
            [ $case != builtin ] || is_builtin "$m" || continue
            for rt in faasm-engine wasmtime; do
                time_import "$case" "$rt" "$m" "$i"
            done
        done
    done
done

say "pyperformance: $py_runs runs of each program and runtime, interleaved"
for i in $(seq "$py_runs"); do
    grep -v '^\s*#' benches/python/workloads.txt | while read -r name dir loops args; do
        [ -n "$name" ] || continue
        case $name in *"${PY_FILTER:-}"*) ;; *) continue ;; esac
        for rt in faasm-engine wasmtime; do
            # shellcheck disable=SC2086
            line=$(run "$rt" "$dyn" "$out/warm-$rt" /bench/run.py "$loops" "/pyperformance/$dir/run_benchmark.py" $args |
                grep "^PYPERF_SHIM $name ") || die "$rt: $name printed no timing line"
            printf '%s\t%s\t%s\t%s\n' "$name" "$rt" "$i" "${line##*seconds=}" >>"$out/pyperf.tsv"
        done
    done
done
echo "load_end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/meta.txt"
ls -l "$dyn"/lib/python3.11/lib-dynload/ | awk '{ print $NF "\t" $5 }' >"$out/sizes.tsv"

python3 benches/tools/dynlink_table.py "$out" >"$out/section.md"
cat "$out/section.md"
if [ "$results" != "-" ]; then
    python3 benches/tools/dynlink_table.py --replace-section "$results" "$out/section.md"
    say "section written to $results"
fi
