#!/usr/bin/env bash
# The one test command (npm test): checks the servers the tests start for
# themselves, installs what is missing when it can, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A PACKAGE_OF=(
  [redis-server]=redis-server
  [initdb]=postgresql
  [promtool]=prometheus
  [prometheus]=prometheus
  [amtool]=prometheus-alertmanager
  [prometheus-alertmanager]=prometheus-alertmanager
  [prometheus-redis-exporter]=prometheus-redis-exporter
  [prometheus-postgres-exporter]=prometheus-postgres-exporter
  [docker-compose]=docker-compose
  [chromium]=chromium
  [kubectl]=kubectl
)
have() {
  if [ "$1" = initdb ]; then command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
  else command -v "$1" >/dev/null; fi
}
missing=()
for tool in "${!PACKAGE_OF[@]}"; do have "$tool" || missing+=("${PACKAGE_OF[$tool]}"); done
if [ ${#missing[@]} -gt 0 ]; then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing Debian packages: $packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
  else
    echo "test: missing tools; install them first:  sudo apt-get install $packages" >&2
    exit 1
  fi
fi

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
# Test files run two at a time: they start their own servers on free ports.
exec node --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout=300000 dist/test/*.test.js
