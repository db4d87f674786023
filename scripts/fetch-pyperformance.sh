#!/usr/bin/env bash
# Fetches the benchmark programs of the `pyperformance` package (PyPI,
# pinned version and SHA-256) into workload/pyperformance/ (git-ignored,
# never committed): the `bm_*` program directories; benches/python/workloads.txt
# lists the ones the benchmarks run. They run inside python3.wasm through
# the timing shim benches/python/pyperf.py, which stands in for `pyperf`.
# Idempotent: does nothing when the pinned version is already unpacked.
set -euo pipefail

VERSION=1.11.0
SHA256=00a4f4ed08822e19939aea5f337583ad2b4fb3c2a5b3ff917ae4dfed15a4a984

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="$root/workload/pyperformance"
stamp="$dest/.version"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$VERSION" ]; then
    echo "fetch-pyperformance: $dest already holds pyperformance $VERSION"
    exit 0
fi

pip=()
if command -v pip3 >/dev/null 2>&1; then pip=(pip3)
elif command -v pip >/dev/null 2>&1; then pip=(pip)
elif command -v python3 >/dev/null 2>&1; then pip=(python3 -m pip)
else
    echo "fetch-pyperformance: need pip (or python3 -m pip)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fetch-pyperformance: downloading pyperformance==$VERSION (source archive)"
# The source archive, not the wheel: it is what the SHA-256 pins, and it
# carries the benchmark programs under pyperformance/data-files/.
"${pip[@]}" download --quiet --no-deps --no-binary :all: --disable-pip-version-check \
    -d "$tmp" "pyperformance==$VERSION"

archive="$tmp/pyperformance-$VERSION.tar.gz"
if [ ! -f "$archive" ]; then
    echo "fetch-pyperformance: expected $archive after the download" >&2
    exit 1
fi
got=$(sha256sum "$archive" | cut -d' ' -f1)
if [ "$got" != "$SHA256" ]; then
    echo "fetch-pyperformance: SHA-256 mismatch: got $got, want $SHA256" >&2
    exit 1
fi

# Unpack the whole benchmark tree into a fresh directory, then swap it in,
# so an interrupted run never leaves a half-filled tree behind the stamp.
python3 - "$archive" "$tmp/out" <<'PY'
import sys, tarfile, pathlib
archive, out = sys.argv[1:]
prefix = "pyperformance-%s/pyperformance/data-files/benchmarks/" % archive.split("pyperformance-")[-1][:-len(".tar.gz")]
out = pathlib.Path(out)
with tarfile.open(archive) as t:
    for m in t.getmembers():
        if not m.name.startswith(prefix) or not (m.isfile() or m.isdir()):
            continue
        rel = m.name[len(prefix):]
        if not rel or rel.startswith("/") or ".." in pathlib.PurePosixPath(rel).parts:
            continue
        target = out / rel
        if m.isdir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            with t.extractfile(m) as src, open(target, "wb") as dst:
                dst.write(src.read())
PY

if [ ! -f "$tmp/out/bm_richards/run_benchmark.py" ]; then
    echo "fetch-pyperformance: the archive has no benchmark programs where expected" >&2
    exit 1
fi
echo "$VERSION" >"$tmp/out/.version"
mkdir -p "$root/workload"
rm -rf "$dest.old"
[ -d "$dest" ] && mv "$dest" "$dest.old"
mv "$tmp/out" "$dest"
rm -rf "$dest.old"
echo "fetch-pyperformance: unpacked $(ls -d "$dest"/bm_* | wc -l) benchmark programs into $dest"
