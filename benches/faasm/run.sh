#!/usr/bin/env bash
# Faasm function benchmarks (issue: chain latency, fan-out, state
# throughput embedded vs Redis), on our CPython build. Each line is timed
# inside the guest; calls start from the file's snapshot unless
# FAASM_NO_SNAPSHOT=1 (the script runs both for chains, to show the
# difference in the same run). Needs scripts/build-python.sh,
# scripts/build-pyfaasm.sh and scripts/setup-redis.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
cargo build --release --quiet
bin=target/release/faasm-engine
inv() { "$bin" invoke --input "$1" "${@:2}" benches/faasm/bench.py; echo; }
echo "== embedded state, in-process chaining (snapshot)"
inv "chain 200"
inv "fanout 100"
inv "state 1024 2000"
inv "state 1048576 50"
echo "== the same chains from scratch (FAASM_NO_SNAPSHOT=1)"
FAASM_NO_SNAPSHOT=1 inv "chain 30"
FAASM_NO_SNAPSHOT=1 inv "fanout 100"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --save '' --appendonly no --dir "$dir" --daemonize no >"$dir/log" 2>&1 &
redis=$!
trap 'kill $redis 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "== Redis state, Redis queue (one worker, 2 threads)"
"$bin" worker --redis "redis://127.0.0.1:$port" --threads 2 >"$dir/worker.log" 2>&1 &
worker=$!
trap 'kill $worker $redis 2>/dev/null; rm -rf "$dir"' EXIT
inv "state 1024 2000" --redis "redis://127.0.0.1:$port"
inv "state 1048576 50" --redis "redis://127.0.0.1:$port"
inv "chain 50" --redis "redis://127.0.0.1:$port"
