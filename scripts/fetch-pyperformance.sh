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

# shellcheck source=scripts/lib/pip-download.sh
. "$root/scripts/lib/pip-download.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fetch-pyperformance: downloading pyperformance==$VERSION (source archive)"
# The source archive, not the wheel: it is what the SHA-256 pins, and it
# carries the benchmark programs under pyperformance/data-files/.
mkdir "$tmp/dl"
archive=$(pip_download_verified fetch-pyperformance "$SHA256" "$tmp/dl" --no-binary :all: "pyperformance==$VERSION")

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
