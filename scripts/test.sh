#!/usr/bin/env bash
# Quick start, command 2: installs what the tests need (Node, pnpm, PostgreSQL, the Temporal CLI,
# Chromium for the browser tests) and runs every check: lint, types, build, unit/integration tests, examples, rule fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
export CLOSEDLOOP_NEED_PG=1 CLOSEDLOOP_NEED_TEMPORAL=1 CLOSEDLOOP_NEED_CHROMIUM=1
bash scripts/setup.sh
. scripts/tools.sh
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "lint (biome)"
pnpm exec biome check .
step "typecheck (tsc, strict)"
pnpm exec tsc -p tsconfig.json --noEmit
step "built packages as consumers see them (publint)"
pnpm run check:packages >/dev/null
step "types of the built packages for ESM and CJS consumers (are the types wrong)"
pnpm run check:types-exports >/dev/null
step "no unused files, exports or dependencies (knip)"
pnpm run check:unused
step "tests (vitest: unit, stores incl. PostgreSQL, runtimes incl. Temporal, examples)"
mkdir -p .closedloop
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile=.closedloop/test-results.json || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(".closedloop/test-results.json", "utf8"));
  console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || status=1
exit $status
