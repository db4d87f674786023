#!/usr/bin/env bash
# Tests the Python package (python/): builds libfaasm_engine.so, makes a
# virtualenv under the target directory (once; idempotent), installs pytest
# and the package into it (the package bundles the fresh library), and runs
# python/tests with pytest. Exits with pytest's status.
#
# Environment: CARGO_TARGET_DIR is honoured; FAASM_ENGINE_PROFILE=debug tests
# the unoptimised library (what scripts/test.sh's `cargo test` already built
# the dependencies for) instead of the release one; extra arguments go to pytest.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
venv="$target/python-venv"

say() { echo "test-python-pkg: $*"; }

profile=${FAASM_ENGINE_PROFILE:-release}
case $profile in
    release) build=(cargo build --release -p faasm-engine-capi) ;;
    debug) build=(cargo build -p faasm-engine-capi) ;;
    *) say "FAASM_ENGINE_PROFILE must be release or debug, not $profile" >&2; exit 2 ;;
esac
export FAASM_ENGINE_PROFILE=$profile
say "${build[*]}"
"${build[@]}"

if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv"
    # Debian's python3 needs python3-venv for this; scripts/test.sh installs it.
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import pytest' 2>/dev/null; then
    say "installing pytest"
    "$venv/bin/python" -m pip install --quiet pytest
fi
say "installing ./python"
# --force-reinstall: the version does not change when the library does.
CARGO_TARGET_DIR="$target" "$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$root/python"

say "pytest python/tests"
# From another directory, so that `import faasm_engine` is the installed
# package (with its bundled library), not the source tree.
cd "$target"
set +e
env -u FAASM_ENGINE_LIB "$venv/bin/python" -m pytest -q "$root/python/tests" "$@"
status=$?
set -e
if [ "$status" -eq 0 ]; then
    say "all passed"
else
    say "FAILED (pytest exit status $status)"
fi
exit "$status"
