#!/usr/bin/env bash
# Installs pyfaasm into the CPython build's site-packages
# (workload/cpython/lib/python3.11/site-packages/pyfaasm/, the guest's
# /usr/local/lib/python3.11/site-packages/pyfaasm/): the Python package from
# faasm/pyfaasm/pyfaasm/ and the C extension faasm/pyfaasm/_pyfaasm.c built
# as a side module with scripts/build-ext.sh. Idempotent: files are only
# rewritten when their sources are newer. Needs scripts/build-python.sh's
# build (and scripts/setup-clang.sh's compiler).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FAASM_PYTHON:-$root/workload/cpython}
dest=$build/lib/python3.11/site-packages/pyfaasm
src=$root/faasm/pyfaasm

if [ ! -f "$build/python.wasm" ]; then
    echo "build-pyfaasm: $build/python.wasm is missing: run scripts/build-python.sh first" >&2
    exit 1
fi
mkdir -p "$dest"
for f in "$src"/pyfaasm/*.py; do
    if [ ! -f "$dest/$(basename "$f")" ] || [ "$f" -nt "$dest/$(basename "$f")" ]; then
        cp "$f" "$dest/"
    fi
done
so=$dest/_pyfaasm.cpython-311-wasm32-wasi.so
if [ ! -f "$so" ] || [ "$src/_pyfaasm.c" -nt "$so" ] || [ "$root/scripts/build-ext.sh" -nt "$so" ]; then
    bash "$root/scripts/build-ext.sh" "$src/_pyfaasm.c" "$dest"
fi
echo "build-pyfaasm: pyfaasm installed in $dest"
