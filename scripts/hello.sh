#!/usr/bin/env bash
# The main job on a fresh machine, in one command: install what is missing
# (C-to-wasm toolchain, the python3.wasm workload), build faasm-engine in
# release mode, and run `faasm-engine run python3.wasm hello.py` from the
# folder that holds hello.py (the current directory is what the guest sees).
# Idempotent; the first run compiles python3.wasm once and caches the code,
# later runs map it from the cache and start at once.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh
cargo build --release --bin faasm-engine
cd examples
exec "$root/target/release/faasm-engine" run "$root/workload/python3.wasm" hello.py
