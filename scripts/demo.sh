#!/usr/bin/env bash
# Quick start, command 1: installs everything and runs `closedloop demo` on the embedded runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/tools.sh
exec node packages/cli/dist/bin.js demo "$@"
