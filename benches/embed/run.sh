#!/usr/bin/env bash
# Embedding benchmark (bench.py): faasm-engine's C API and Python package
# against wasmtime's (wasmtime-py from PyPI, whose wheel ships
# libwasmtime.so with the same wasm.h API) in the same run. Builds the
# library, sets up a virtualenv under the target directory (idempotent),
# prints a Markdown table of ratios.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
venv="$target/bench-embed-venv"
WASMTIME_PY=wasmtime==51.0.0

cd "$root"
cargo build --release -p faasm-engine-capi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import wasmtime' 2>/dev/null || "$venv/bin/python" -m pip install --quiet "$WASMTIME_PY"
CARGO_TARGET_DIR="$target" "$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$root/python"
cd "$target"
env -u FAASM_ENGINE_LIB "$venv/bin/python" "$root/benches/embed/bench.py" "$target/release/libfaasm_engine.so"
