#!/usr/bin/env bash
# Installs what closedloop needs (Node >= 22, pnpm, dependencies) and builds the packages.
# Idempotent; a second run takes seconds. Extra tools for the tests: see scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh
if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile --reporter=append-only
else
  pnpm install --reporter=append-only
fi
# Quiet when it works; the whole log when it does not.
log=$(mktemp)
if ! pnpm run build >"$log" 2>&1; then
  cat "$log" >&2
  echo "error: the build failed (log above)" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
