#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine, checks
# formatting (cargo fmt) and lints (cargo clippy, warnings denied), then
# runs all tests of the workspace: `cargo test --workspace` (unit and integration
# tests of every crate, including the WebAssembly spec suite driver,
# tests/spec.rs). Prints the spec suite's closing line
# (`N passed, N failed, N skipped`) last and exits non-zero if anything
# failed.
#
# Idempotent: system packages and the Rust toolchain are installed only when
# missing; the other setup scripts (scripts/setup-clang.sh for the C-to-wasm
# toolchain, scripts/fetch-python.sh for the python3.wasm workload) are run
# when present and are idempotent themselves; scripts/build-python.sh builds our
# CPython for wasm (tests/cpython.rs), in minutes once, in under a second after.
#
# Environment: CARGO_TARGET_DIR is honoured; extra arguments are passed to
# `cargo test` (e.g. `scripts/test.sh --release`).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

RUST_VERSION=1.95.0   # the workspace's rust-version

say() { echo "test.sh: $*"; }

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi

# --- system packages --------------------------------------------------------
# A C compiler (the engine's build script compiles a small C file),
# certificates (crates.io), python3 with pip (fetch-python.sh).
packages=(build-essential ca-certificates git python3 python3-pip python3-venv)
if command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for p in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        "${sudo[@]}" apt-get update
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
    fi
else
    say "not a Debian system (no dpkg-query): assuming ${packages[*]} are available"
fi

# --- Rust -------------------------------------------------------------------
# The machines this project runs on come with the Rust toolchain (rustup,
# cargo); nothing else may be downloaded here, so a missing or too old
# toolchain is an error with a clear message rather than an install attempt.
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
    say "cargo not found: install Rust $RUST_VERSION (rustup) first" >&2
    exit 1
fi
have=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$RUST_VERSION" "$have" | sort -V | head -n1)" != "$RUST_VERSION" ]; then
    say "rustc $have is older than $RUST_VERSION, the workspace's rust-version" >&2
    exit 1
fi

# --- other setup scripts (present once their owners have added them) -------
for s in setup-clang.sh setup-redis.sh fetch-python.sh build-python.sh; do
    if [ -f "scripts/$s" ]; then
        say "running scripts/$s"
        bash "scripts/$s"
    fi
done

# --- fast checks first: formatting and lints ----------------------------------
# rustfmt.toml holds the house style; clippy denies every warning and any
# `unsafe` block without a `// SAFETY:` comment.
for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
        say "installing the $component component"
        rustup component add "$component"
    fi
done
say "cargo fmt --all --check"
cargo fmt --all --check
say "cargo clippy --workspace --all-targets -- -D warnings -D clippy::undocumented_unsafe_blocks"
cargo clippy --workspace --all-targets --quiet -- -D warnings -D clippy::undocumented_unsafe_blocks

# --- tests ------------------------------------------------------------------
log=$(mktemp)
trap 'rm -f "$log"' EXIT

say "cargo test --workspace --no-fail-fast $*"
set +e
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# --- the Python package (python/, over capi/'s libfaasm_engine.so) ------------
say "scripts/test-python-pkg.sh"
set +e
FAASM_ENGINE_PROFILE=debug bash scripts/test-python-pkg.sh
py_status=$?
set -e

echo
if [ "$py_status" -ne 0 ]; then
    say "python package tests: FAILED (exit status $py_status)"
fi
if [ "$status" -eq 0 ]; then
    say "cargo test --workspace: all test binaries passed"
else
    say "cargo test --workspace: FAILED (exit status $status)"
    # Which test binaries failed, to save scrolling (cargo's own list; a
    # build failure has none, its errors are above).
    sed -n '/^error: [0-9]* targets* failed/,/^[^ e]/p' "$log" || true
fi

# The spec driver's closing line, last. Its format cannot be confused with
# libtest's summaries ("test result: ok. N passed; N failed; ...").
spec_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n1 || true)
if [ -z "$spec_line" ]; then
    echo "spec suite did not run (build failure?)"
    exit 1
fi
echo "$spec_line"
if [ "$status" -ne 0 ]; then
    exit "$status"
fi
exit "$py_status"
