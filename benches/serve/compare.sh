#!/usr/bin/env bash
# Same-run comparison of two builds of faasm-engine on the serving and
# Faasm figures that a refactoring must not make worse: requests/s and
# p50/p99 of the Python hello function route (restored from a snapshot per
# request), the time to restore that snapshot (bench-restore), and Faasm's
# chain + await latency and fan-out of 100 (benches/faasm/bench.py). Rounds alternate A and
# B so that drift of the (shared, noisy) machine falls on both.
#
#   bash benches/serve/compare.sh OLD_DIR NEW_DIR [ROUNDS]
#
# Each DIR holds `faasm-engine`, `bench-loadgen` and `bench-restore` from
# `cargo build --release --bin faasm-engine --example bench-loadgen
# --example bench-restore` of that build. Prints a line per measurement.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
old=$1 new=$2 rounds=${3:-3}
secs=${SECONDS_EACH:-8} clients=${CLIENTS:-4}
dir=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT
cat >"$dir/modules.toml" <<TOML
[[module]]
route = "/hello"
function = "$root/benches/serve/hello.py"
TOML

. benches/serve/server.sh
serve_once() { # $1: build dir -> "rps p50 p99" on stdout
    local bin=$1
    start_server "$bin/faasm-engine" "$dir/modules.toml" "$dir"
    "$bin/bench-loadgen" http "$url/hello" -c 1 -s 2 --body bench >/dev/null
    "$bin/bench-loadgen" http "$url/hello" -c "$clients" -s "$secs" --body bench
    kill "$server"; wait "$server" 2>/dev/null || true
    server=
}

for r in $(seq "$rounds"); do
    for which in old new; do
        b=${!which}
        echo "round $r $which serve: $(serve_once "$b")"
        echo "round $r $which restore: $("$b/bench-restore" workload/cpython benches/serve/hello.py 3000 "$dir/cache")"
        for input in "chain 200" "fanout 100"; do
            echo "round $r $which faasm $input: $("$b/faasm-engine" invoke --cache-dir "$dir/cache" --input "$input" benches/faasm/bench.py 2>/dev/null)"
        done
    done
done
