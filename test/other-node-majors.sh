#!/usr/bin/env bash
# The pure unit tests (no servers, a few seconds) also on the other supported
# Node LTS majors. npm's node@N package carries the official binary from the npm
# registry, so no other download is needed. Run after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
UNIT_TESTS=(aws-pure config exposition postgres-parse redis-parse scrape redis-metrics daytona-retry request-outcome)
files=()
for t in "${UNIT_TESTS[@]}"; do files+=("dist/test/$t.test.js"); done
for major in ${NODE_MAJORS:-22 24}; do
  prefix="${XDG_CACHE_HOME:-$HOME/.cache}/fleet-exporter/node-$major"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$prefix" "node@$major" >/dev/null
  node="$prefix/node_modules/node/bin/node"
  echo "unit tests on Node $("$node" --version)"
  "$node" --test --test-concurrency=2 --test-reporter=tap "${files[@]}"
done
