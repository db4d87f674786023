#!/usr/bin/env bash
# Installs Debian's redis-server (and redis-tools), which the Faasm tests
# (faasm/tests/, tests/faasm_*.rs) start on a free port of their own and stop
# afterwards. Idempotent: nothing is fetched when both are installed. The
# package's own service (port 6379) is not needed by the tests; where
# systemd runs it, it is left as Debian configures it.
set -euo pipefail

packages=(redis-server redis-tools)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup-redis: all of ${packages[*]} already installed"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi

echo "setup-redis: installing ${missing[*]}"
"${sudo[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
redis-server --version
