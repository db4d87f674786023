#!/usr/bin/env bash
# Installs the toolchain that compiles the C test programs in tests/wasi/ to
# wasm32-wasi: clang-19, lld-19 (wasm-ld), llvm-19, Debian's wasi-libc and the
# wasm32 compiler-rt builtins. Idempotent: packages already installed are not
# touched, and nothing is fetched when all of them are present.
set -euo pipefail

packages=(clang-19 lld-19 llvm-19 wasi-libc libclang-rt-19-dev-wasm32)

. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"
apt_install setup-clang "${packages[@]}" || exit 0

# Check the result the way the tests use it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <stdio.h>\nint main(void){puts("ok");return 0;}\n' >"$tmp/t.c"
clang-19 --target=wasm32-wasi -O2 "$tmp/t.c" -o "$tmp/t.wasm"
echo "setup-clang: clang-19 --target=wasm32-wasi works"
