#!/usr/bin/env bash
# Makes sure a Docker Engine API answers, for the integration and end-to-end tests.
#
#   bash scripts/provision/engine.sh             ensure an engine answers (idempotent)
#   bash scripts/provision/engine.sh --apt-deps  print the Debian packages it would install
#
# 1. If $DOCKER_HOST (or, when unset, unix:///var/run/docker.sock) answers /_ping: use it,
#    change nothing, print one line.
# 2. Otherwise (local unix socket only): install Debian's docker.io (dockerd 20.10 +
#    containerd + runc + iptables) with apt, no daemon autostarting during the install, and
#    start `dockerd` in its own session in the background (log: /var/log/repro-dockerd.log),
#    then wait until /_ping answers (at most 30 s).
# The engine is left running: later test phases reuse it. A remote $DOCKER_HOST (tcp://,
# ssh://) that does not answer is an error: this script cannot start a remote engine.
#
# Env: DOCKER_HOST                 engine to check / socket to start dockerd on
#      REPRO_DOCKERD_ARGS          extra dockerd arguments. To try the start path beside a
#                                  running engine use a separate --data-root/--exec-root/socket
#                                  and --iptables=false, but NOT --bridge=none: dockerd then
#                                  deletes the host's docker0, breaking the other engine's
#                                  default network (fix: ip link add docker0 type bridge;
#                                  ip addr add 172.17.0.1/16 dev docker0; ip link set docker0 up)
#      REPRO_DOCKERD_LOG           default /var/log/repro-dockerd.log
#      REPRO_DOCKERD_PIDFILE       default /var/run/repro-dockerd.pid
set -euo pipefail

T0=$(date +%s.%N)
elapsed() { awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN{printf "%.1fs", a-b}'; }
say() { echo "engine: $*"; }
die() { echo "engine: ERROR: $*" >&2; exit 1; }

DEFAULT_SOCK=/var/run/docker.sock
HOST=${DOCKER_HOST:-unix://$DEFAULT_SOCK}
LOG=${REPRO_DOCKERD_LOG:-/var/log/repro-dockerd.log}
PIDFILE=${REPRO_DOCKERD_PIDFILE:-/var/run/repro-dockerd.pid}
STATE=/var/lib/repro-provision
APT_PKGS=(docker.io curl ca-certificates)

# Debian packages: pkg_missing, apt_install.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ping HOST: 0 when /_ping answers OK. unix:// and tcp:// with curl (node as a fallback),
# anything else (ssh://, npipe://) through the docker CLI.
ping_engine() {
  local h=$1
  case "$h" in
    unix://*)
      local sock=${h#unix://}
      [ -S "$sock" ] || return 1
      if command -v curl >/dev/null; then
        curl -fsS --max-time 3 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1
      else
        node -e 'require("http").get({socketPath:process.argv[1],path:"/_ping",timeout:3000},r=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1)).on("timeout",()=>process.exit(1))' "$sock"
      fi ;;
    tcp://*)
      local hp=${h#tcp://} scheme=http tls=()
      if [ "${DOCKER_TLS_VERIFY:-}" = 1 ] || [ "${hp##*:}" = 2376 ]; then
        scheme=https; local c=${DOCKER_CERT_PATH:-$HOME/.docker}
        [ -f "$c/ca.pem" ] && tls=(--cacert "$c/ca.pem" --cert "$c/cert.pem" --key "$c/key.pem")
      fi
      curl -fsS --max-time 5 "${tls[@]}" "$scheme://$hp/_ping" >/dev/null 2>&1 ;;
    *) command -v docker >/dev/null && DOCKER_HOST=$h timeout 15 docker version >/dev/null 2>&1 ;;
  esac
}

engine_version() { # "docker 20.10.24 (API 1.41)" for a unix socket, best effort
  local sock=${1#unix://} j
  j=$(curl -fsS --max-time 3 --unix-socket "$sock" http://localhost/version 2>/dev/null) || { echo "engine"; return; }
  local kind=docker; grep -qi '"Name":"Podman' <<<"$j" && kind=podman
  sed -E 's/.*"Version":"([^"]*)".*"ApiVersion":"([^"]*)".*/'"$kind"' \1 (API \2)/' <<<"$j"
}

if [ "${1:-}" = --apt-deps ]; then # packages all.sh must install before running this script
  if ! ping_engine "$HOST"; then pkg_missing "${APT_PKGS[@]}"; fi
  exit 0
fi

if ping_engine "$HOST"; then
  if [[ $HOST == unix://* ]] && command -v curl >/dev/null; then v=$(engine_version "$HOST"); else v=engine; fi
  say "$v answering at $HOST, nothing to do [$(elapsed)]"
  exit 0
fi

case "$HOST" in
  unix://*) SOCK=${HOST#unix://} ;;
  *) die "DOCKER_HOST=$HOST does not answer /_ping. This script only starts a local engine: start that one, or unset DOCKER_HOST to use a local dockerd on $DEFAULT_SOCK." ;;
esac
[ "$(id -u)" = 0 ] || die "no engine at $HOST and starting dockerd needs root (or start Docker/Podman yourself and set DOCKER_HOST)"

# A dockerd that is already running but not answering yet (still starting): give it time
# rather than starting a second daemon on the same data root.
if [ -z "${REPRO_DOCKERD_ARGS:-}" ] && pid=$(pgrep -x dockerd | head -1) && [ -n "$pid" ]; then
  say "dockerd (pid $pid) runs but does not answer at $HOST yet; waiting up to 30 s"
  for _ in $(seq 1 120); do ping_engine "$HOST" && break; sleep 0.25; done
  ping_engine "$HOST" || die "dockerd pid $pid runs but does not answer at $HOST. Check its log (e.g. $LOG) or stop it."
  say "$(engine_version "$HOST") answering at $HOST [$(elapsed)]"
  exit 0
fi

if [ -n "$(pkg_missing "${APT_PKGS[@]}")" ]; then
  apt_install "${APT_PKGS[@]}"
  say "installed docker.io [$(elapsed)]"
fi
command -v dockerd >/dev/null || die "dockerd not found (is docker.io installed?)"

mkdir -p "$(dirname "$SOCK")" "$(dirname "$LOG")" "$(dirname "$PIDFILE")"
rm -f "$SOCK"   # stale socket of a daemon that died
say "starting dockerd on $HOST (log $LOG)"
# Plain defaults work on this kind of machine: overlay2, cgroupfs, bridge + iptables NAT.
# setsid: the daemon must outlive this script and the shell that ran it; started from / so
# that it does not hold on to the caller's folder (a test clone that is deleted afterwards).
cd /
# shellcheck disable=SC2086
setsid dockerd --host "unix://$SOCK" --pidfile "$PIDFILE" ${REPRO_DOCKERD_ARGS:-} </dev/null >>"$LOG" 2>&1 &
dpid=$!
for _ in $(seq 1 120); do
  ping_engine "$HOST" && break
  kill -0 "$dpid" 2>/dev/null || break
  sleep 0.25
done
if ! ping_engine "$HOST"; then
  tail -25 "$LOG" >&2
  die "dockerd did not answer at $HOST within 30 s (log: $LOG)"
fi
say "$(engine_version "$HOST") answering at $HOST, dockerd pid $dpid [$(elapsed)]"
