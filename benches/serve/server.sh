# Sourced by the serving benchmarks (run.sh, compare.sh): starts
# `BIN serve -c CONFIG` on a free port with its compiled-code cache in DIR,
# and waits for its Ready line. Sets $server (the pid) and $url; the
# server's stdout and stderr go to DIR/out and DIR/err. SERVE_ENV adds
# environment variables (e.g. SERVE_ENV=RUST_LOG=warn).
start_server() { # BIN CONFIG DIR
    local bin=$1 config=$2 dir=$3
    # shellcheck disable=SC2086 # SERVE_ENV is a list of NAME=VALUE words
    env ${SERVE_ENV:-} "$bin" serve -c "$config" --listen 127.0.0.1:0 --cache-dir "$dir/cache" >"$dir/out" 2>"$dir/err" &
    server=$!
    for _ in $(seq 600); do grep -q '^Ready' "$dir/out" 2>/dev/null && break; sleep 0.1; done
    grep -q '^Ready' "$dir/out" || { cat "$dir/err" >&2; exit 1; }
    url=$(sed -n 's/^Ready: serving on //p' "$dir/out")
}
