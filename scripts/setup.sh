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
pnpm run build >/dev/null
