#!/usr/bin/env bash
# Installs the toolchain that compiles the C test programs in tests/wasi/ to
# wasm32-wasi: clang-19, lld-19 (wasm-ld), llvm-19, Debian's wasi-libc and the
# wasm32 compiler-rt builtins. Idempotent: packages already installed are not
# touched, and nothing is fetched when all of them are present.
set -euo pipefail

packages=(clang-19 lld-19 llvm-19 wasi-libc libclang-rt-19-dev-wasm32)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup-clang: all of ${packages[*]} already installed"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi

echo "setup-clang: installing ${missing[*]}"
"${sudo[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

# Check the result the way the tests use it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <stdio.h>\nint main(void){puts("ok");return 0;}\n' >"$tmp/t.c"
clang-19 --target=wasm32-wasi -O2 "$tmp/t.c" -o "$tmp/t.wasm"
echo "setup-clang: clang-19 --target=wasm32-wasi works"
