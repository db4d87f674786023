#!/usr/bin/env bash
# Runs CPython's own regression tests for the modules our build links as
# side modules, with the build (scripts/build-python.sh) under faasm-engine
# and under wasmtime 48 with a loader of its own (the `wasmtime-python`
# example, benches/tools/wasmtime_python.rs), and writes the table of
# tests run / failures / errors / skipped per module and runtime to
# tests/cpython-regrtest.md. tests/cpython.rs then checks that
# faasm-engine still gives exactly the recorded counts.
#
#   scripts/cpython-regrtest.sh [TEST_MODULE...]    (default: the list below)
#
# The tests come from the build's CPython source tree (Lib/test, not
# installed into the guest prefix), granted read-only as /tests; a scratch
# directory is granted read-write as / (tests write files in the cwd).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# The regression tests of the side modules (tests/cpython.rs reruns whatever
# the table lists). test_queue and test_select skip themselves whole on WASI
# (no threads, no sockets), and test_zoneinfo needs lzma, which has no wasm
# build here, so they are not listed; test_decimal's C/Python split needs
# regrtest's set-up, which a plain unittest run lacks.
MODULES=(test_json test_struct test_array test_math test_cmath test_bisect test_heapq test_random
    test_pickle test_datetime test_csv test_unicodedata test_binascii test_zlib test_statistics
    test_hashlib test_context test_xml_etree_c
    test_pyexpat test_audioop test_cprofile test_multibytecodec test_codecencodings_jp)
[ $# -gt 0 ] && MODULES=("$@")

bash scripts/build-python.sh >/dev/null
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --bin faasm-engine --example wasmtime-python >&2
fe="$CARGO_TARGET_DIR/release/faasm-engine"
wt="$CARGO_TARGET_DIR/release/examples/wasmtime-python"
# Lib/test of the build's sources, alone in a directory (the guest imports
# the package `test` from it; the rest of Lib is installed already).
tests_dir=$CARGO_TARGET_DIR/regrtest-lib
src_tests=$root/workload/cpython-build/src/Python-3.11.2/Lib/test
if [ ! -d "$tests_dir/test" ] || [ "$src_tests" -nt "$tests_dir/test" ]; then
    rm -rf "$tests_dir" && mkdir -p "$tests_dir" && cp -r "$src_tests" "$tests_dir/test"
fi
build=$root/workload/cpython

# runtime test_module: one module's tests, in a fresh scratch directory.
run() {
    local scratch; scratch=$(mktemp -d); mkdir -p "$scratch/tmp"
    local cache=()
    [ "$1" = "$fe" ] && cache=(run --cache-dir "$CARGO_TARGET_DIR/regrtest-objcache")
    "$1" "${cache[@]}" --dir-ro "$build::/usr/local" --dir-ro "$tests_dir::/tests" --dir "$scratch::/" \
        --env PYTHONPATH=/tests --env TMPDIR=/tmp "$build/python.wasm" -m unittest "test.$2" 2>&1 </dev/null || true
    rm -rf "$scratch"
}

counts() {  # unittest's summary -> "ran failures errors skipped"
    awk '/^Ran [0-9]+ test/ {ran=$2}
         /^(OK|FAILED)/ {
             n=split($0, parts, /[(), =]+/)
             for (i = 1; i < n; i++) {
                 if (parts[i] == "failures") f = parts[i+1]
                 if (parts[i] == "errors") e = parts[i+1]
                 if (parts[i] == "skipped") s = parts[i+1]
             }
         }
         END {printf "%d %d %d %d\n", ran, f, e, s}'
}

out=tests/cpython-regrtest.md
{
    echo "# CPython 3.11 regression tests: faasm-engine against wasmtime"
    echo
    echo "Written by \`scripts/cpython-regrtest.sh\` ($(date -u +%Y-%m-%d)): \`python.wasm -m unittest test.MODULE\` of our"
    echo "CPython build (scripts/build-python.sh), its C extensions loaded as side modules, under faasm-engine and"
    echo "under wasmtime 48 with a loader of its own. Columns: tests run / failures / errors / skipped."
    echo "\`tests/cpython.rs\` checks that faasm-engine still gives the faasm-engine column."
    echo
    echo "| module | faasm-engine | wasmtime | same |"
    echo "|---|---|---|---|"
} > "$out.tmp"
for m in "${MODULES[@]}"; do
    t0=$(date +%s.%N); a=$(run "$fe" "$m" | counts); t1=$(date +%s.%N)
    b=$(run "$wt" "$m" | counts); t2=$(date +%s.%N)
    echo "$m: faasm-engine $(echo "$t1 - $t0" | bc) s, wasmtime $(echo "$t2 - $t1" | bc) s" >&2
    same=no; [ "$a" = "$b" ] && same=yes
    echo "| $m | ${a// / / } | ${b// / / } | $same |" | tee -a "$out.tmp"
done
mv "$out.tmp" "$out"
echo "wrote $out"
