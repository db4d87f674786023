#!/usr/bin/env bash
# Serving benchmarks: a Python hello route (benches/serve/hello.py on our
# CPython build) under closed-loop load from bench-loadgen on the same
# machine, restored from a snapshot per request against booted from
# scratch per request, against one process per request (wasmtime, and our
# own CLI, running python3.wasm's hello.py); the time to restore the
# snapshot (bench-restore); the server's private memory with 1 and with 8
# requests' worth of pooled instances idle. Prints one Markdown table.
#
#   bash benches/serve/run.sh        # SECONDS_EACH=10 CLIENTS=4 by default
#
# Needs scripts/build-python.sh, scripts/build-pyfaasm.sh and
# scripts/fetch-python.sh. The load generator takes CPU from the server
# (two cores shared): the figures are lower bounds.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
secs=${SECONDS_EACH:-10}
clients=${CLIENTS:-4}
cargo build --release --quiet --bin faasm-engine --example bench-loadgen --example bench-restore --example bench-runner
bin=target/release/faasm-engine
load=target/release/examples/bench-loadgen
dir=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT

cat >"$dir/modules.toml" <<TOML
[[module]]
route = "/hello"
function = "$root/benches/serve/hello.py"

[[module]]
route = "/fresh"
function = "$root/benches/serve/hello.py"
snapshot = false
TOML
. benches/serve/server.sh
start_server "$bin" "$dir/modules.toml" "$dir"
echo "serve: $url" >&2

private_kib() { awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' "/proc/$server/smaps_rollup"; }
# Private KiB and count of the mappings of the server's linear memories
# (their 8 GiB reservations and the snapshot images mapped into them), of
# its guest threads' stacks (64 MiB each), of malloc's heaps and of the rest.
by_kind() {
    python3 - "/proc/$server/smaps" <<'PY'
import re, sys
kinds = {"memories": [0, 0], "stacks": [0, 0], "heap": [0, 0], "other": [0, 0]}
cur = name = None
for line in open(sys.argv[1]):
    if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
        f = line.split()
        name = f[5] if len(f) > 5 else ""
        cur = None
    elif line.startswith("Size:"):
        kb = int(line.split()[1])
        if "faasm-memory-image" in name or (not name and kb >= 4 << 20):
            cur = "memories"
        elif not name and 65536 <= kb <= 65540:
            cur = "stacks"
        elif name == "[heap]" or (not name and kb in (65536, 132)) or (not name and 60000 < kb < 65536):
            cur = "heap"
        else:
            cur = "other"
        kinds[cur][1] += 1
    elif line.startswith(("Private_Clean:", "Private_Dirty:")) and cur:
        kinds[cur][0] += int(line.split()[1])
print(" ".join(f"{k}={v[0]}KiB/{v[1]}" for k, v in kinds.items()))
PY
}

"$load" http "$url/hello" -c 1 -s 2 --body bench >/dev/null
idle1=$(private_kib)
kinds1=$(by_kind)
snap=$("$load" http "$url/hello" -c "$clients" -s "$secs" --body bench)
one=$("$load" http "$url/hello" -c 1 -s "$secs" --body bench)
"$load" http "$url/hello" -c 8 -s 3 --body bench >/dev/null
sleep 1
idle8=$(private_kib)
kinds8=$(by_kind)
fresh=$("$load" http "$url/fresh" -c "$clients" -s "$secs" --body bench)
kill "$server"; wait "$server" 2>/dev/null || true; server=

# One process per request: python3.wasm hello.py, compiled code cached.
target/release/examples/bench-runner wasmtime prepare >/dev/null
target/release/examples/bench-runner faasm-engine prepare >/dev/null
wt=$("$load" spawn -c 2 -s "$secs" -- target/release/examples/bench-runner wasmtime run /bench/hello.py)
fe=$("$load" spawn -c 2 -s "$secs" -- target/release/examples/bench-runner faasm-engine run /bench/hello.py)

restore=$(target/release/examples/bench-restore workload/cpython benches/serve/hello.py 5000 "$dir/cache")

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$(field "$2" rps)" "$(field "$2" p50_ms)" "$(field "$2" p99_ms)" "$(field "$2" errors)"; }
echo
echo "| Python hello, $(nproc) cores, ${secs} s each | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---:|"
row "serve, function route, snapshot restored per request ($clients clients)" "$snap"
row "serve, function route, snapshot restored per request (1 client)" "$one"
row "serve, function route, CPython booted per request ($clients clients)" "$fresh"
row "wasmtime 48, one process per request (python3.wasm, 2 at once, no HTTP)" "$wt"
row "faasm-engine, one process per request (python3.wasm, 2 at once, no HTTP)" "$fe"
echo
echo "| restore of the snapshot (no guest code run), 5000 times | p50 µs | p99 µs |"
echo "|---|---:|---:|"
for k in setup restore total drop; do
    printf '| %s | %s | %s |\n' "$k" "$(field "$restore" "${k}_p50_us")" "$(field "$restore" "${k}_p99_us")"
done
echo
echo "Server private memory (Private_Clean + Private_Dirty), idle: ${idle1} KiB after 1 client, ${idle8} KiB after 8;"
echo "per extra idle instance: $(( (idle8 - idle1) / 7 )) KiB, all included. By kind (private KiB / mappings):"
echo "after 1 client: $kinds1"
echo "after 8 clients: $kinds8"
