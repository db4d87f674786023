#!/usr/bin/env bash
# One-stop setup: the C-to-wasm toolchain for the WASI tests and the
# python3.wasm workload. Both steps are idempotent.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/setup-clang.sh"
"$here/fetch-python.sh"
