#!/usr/bin/env bash
# Installs Debian's redis-server (and redis-tools), which the Faasm tests
# (faasm/tests/, tests/faasm_*.rs) start on a free port of their own and stop
# afterwards. Idempotent: nothing is fetched when both are installed. The
# package's own service (port 6379) is not needed by the tests; where
# systemd runs it, it is left as Debian configures it.
set -euo pipefail

packages=(redis-server redis-tools)

. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"
apt_install setup-redis "${packages[@]}" || exit 0
redis-server --version
