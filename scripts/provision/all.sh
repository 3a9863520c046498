#!/usr/bin/env bash
# Provisions everything the integration and end-to-end tests need, reusing what is there:
#   1. the Debian packages any step is missing, in ONE apt-get run (so no two apt runs race);
#   2. engine.sh   a Docker Engine API that answers (starts dockerd if needed; left running);
#   3. images.sh   postgres:15 redis:7 node:20 python:3.11 busybox:latest   } in parallel
#      vscode.sh   Node 24 + code-server + Chromium              }
# Ends with one summary line; exits non-zero, naming the failed step, if anything fails.
#   bash scripts/provision/all.sh
# Env: see each script (DOCKER_HOST, REPRO_TOOLS, REPRO_IMAGE_*). SKIP_VSCODE=1 skips vscode.sh.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
T0=$(date +%s.%N)
elapsed() { awk -v a="$(date +%s.%N)" -v b="${1:-$T0}" 'BEGIN{printf "%.1fs", a-b}'; }
fail() { echo "provision: FAILED: $* [$(elapsed)]" >&2; exit 1; }
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/repro-provision.XXXXXX")
steps=(images); [ "${SKIP_VSCODE:-0}" = 1 ] || steps+=(vscode)

# 1. one apt run for all of them (each script would otherwise install its own, serialised by a
#    lock; doing it here keeps dpkg from running twice and the parallel steps apt-free)
pkgs=$( { bash "$HERE/engine.sh" --apt-deps; for s in "${steps[@]}"; do bash "$HERE/$s.sh" --apt-deps; done; } | sort -u | tr '\n' ' ')
if [ -n "${pkgs// }" ]; then
  t=$(date +%s.%N)
  STATE=/var/lib/repro-provision
  die() { fail "$*"; }
  # shellcheck source=lib.sh
  . "$HERE/lib.sh"
  # shellcheck disable=SC2086
  apt_install $pkgs || fail "apt-get install $pkgs (log $STATE/apt.log)"
  echo "provision: packages installed [$(elapsed "$t")]"
fi

# 2. the engine (images.sh needs it)
t=$(date +%s.%N)
bash "$HERE/engine.sh" || fail "engine.sh: no container engine (see above)"
te=$(elapsed "$t")

# 3. images and VS Code side by side (each script prefixes its own lines)
declare -A pid=() took=()
for s in "${steps[@]}"; do
  (
    s0=$(date +%s.%N)
    bash "$HERE/$s.sh"
    rc=$?
    echo "$rc $(elapsed "$s0")" > "$LOGDIR/$s.rc"
    exit $rc
  ) &
  pid[$s]=$!
done
failed=()
for s in "${steps[@]}"; do
  wait "${pid[$s]}" || failed+=("$s.sh")
  took[$s]=$(awk '{print $2}' "$LOGDIR/$s.rc" 2>/dev/null)
done
rm -rf "$LOGDIR"
[ ${#failed[@]} = 0 ] || fail "${failed[*]} (see its lines above)"

summary="engine $te"; for s in "${steps[@]}"; do summary+=", $s ${took[$s]:-?}"; done
echo "provision: OK in $(elapsed) ($summary)"
