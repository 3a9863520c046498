#!/usr/bin/env bash
# Podman as a second engine for the integration tests: Debian's podman, its Docker-compatible
# API service started rootful WITHOUT systemd, and the test images copied in from Docker.
#
#   bash scripts/provision/podman.sh              (idempotent; about a second when all is there)
#   bash scripts/provision/podman.sh --apt-deps   print the Debian packages it would install
#
# 1. Debian packages: podman (4.3) and netavark + aardvark-dns, the network backend (bridge
#    and --internal networks, container names resolved by aardvark-dns). runc, which Docker
#    brought, is the OCI runtime.
# 2. Config: a project-owned containers.conf, $REPRO_TOOLS/podman/containers.conf, given to
#    every podman this script runs through CONTAINERS_CONF (the machine's /etc/containers is
#    left as it is):
#      cgroup_manager = "cgroupfs"   there is no systemd to create scopes
#      events_logger  = "file"       no journald
#      log_driver     = "k8s-file"   no journald; the logs endpoint reads the file
#      network_backend = "netavark"
#      default_ulimits               only where root lacks CAP_SYS_RESOURCE (see below)
# 3. The API service: `podman system service --time=0 unix://$SOCK`, in its own session,
#    logging to $LOG, waited for until /_ping answers (at most 30 s). Left running, like
#    dockerd; restarted only when this script started it and the config has changed since.
# 4. Where dockerd runs too (FORWARD policy DROP): one iptables rule so that containers on
#    the same Podman --internal network reach each other (see below).
# 5. The test images, postgres:15 redis:7 node:20 busybox:latest busybox:1.36.1, copied from
#    the Docker engine, only those Podman lacks: `docker save IMG... | podman load`. Nothing
#    is pulled from a registry: where Docker lacks an image, run images.sh first.
#
# Env: REPRO_PODMAN_SOCK    default /run/podman/podman.sock
#      REPRO_PODMAN_LOG     default /var/log/repro-podman.log
#      REPRO_PODMAN_IMAGES  default "postgres:15 redis:7 node:20 busybox:latest busybox:1.36.1"
#      REPRO_TOOLS          default /var/cache/repro-tools (containers.conf goes in podman/)
#      DOCKER_HOST          the Docker engine the images come from (default its socket)
# Stop the service: kill $(cat /var/run/repro-podman.pid)
set -euo pipefail

T0=$(date +%s.%N)
elapsed() { awk -v a="$(date +%s.%N)" -v b="${1:-$T0}" 'BEGIN{printf "%.1fs", a-b}'; }
say() { echo "podman: $*"; }
die() { echo "podman: ERROR: $*" >&2; exit 1; }

SOCK=${REPRO_PODMAN_SOCK:-/run/podman/podman.sock}
LOG=${REPRO_PODMAN_LOG:-/var/log/repro-podman.log}
PIDFILE=/var/run/repro-podman.pid
IMAGES=${REPRO_PODMAN_IMAGES:-postgres:15 redis:7 node:20 busybox:latest busybox:1.36.1}
TOOLS=${REPRO_TOOLS:-/var/cache/repro-tools}
CONF=$TOOLS/podman/containers.conf
STATE=/var/lib/repro-provision
APT_PKGS=(podman netavark aardvark-dns curl)
DOCKER_SRC=${DOCKER_HOST:-unix:///var/run/docker.sock}
[ "$DOCKER_SRC" = "unix://$SOCK" ] && DOCKER_SRC=unix:///var/run/docker.sock

# Debian packages: pkg_missing, apt_install.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${1:-}" = --apt-deps ]; then
  pkg_missing "${APT_PKGS[@]}"
  exit 0
fi

ping_podman() { curl -fsS --max-time 3 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

# 1. packages
if [ -n "$(pkg_missing "${APT_PKGS[@]}")" ]; then
  [ "$(id -u)" = 0 ] || die "need root to install podman"
  t=$(date +%s.%N)
  apt_install "${APT_PKGS[@]}"
  say "installed ${APT_PKGS[*]} [$(elapsed "$t")]"
fi
command -v podman >/dev/null || die "podman not found after installing it"

# 2. config (written every time: a few bytes, and a changed recipe takes effect at once).
# As root, Podman gives every container nofile = nproc = 1048576, above the hard limits, and
# the OCI runtime then fails with "error setting rlimit type 7: operation not permitted"
# where root lacks CAP_SYS_RESOURCE (this sandbox: bit 24 of CapEff is off). There the
# defaults are the limits we have: nofile = our hard limit; nproc = ours, at most 32768, as
# Podman lowers its own nproc limit to that when it starts (and a child cannot raise it).
ulimits=""
capeff=$(awk '/^CapEff:/{print $2}' /proc/self/status)
if [ -n "$capeff" ] && [ $(( 0x$capeff >> 24 & 1 )) = 0 ]; then
  nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
  if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
  ulimits="default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]"
fi
mkdir -p "$(dirname "$CONF")"
cat > "$CONF.tmp" <<CONF
# Written by Repro's scripts/provision/podman.sh: rootful Podman without systemd or journald.
[containers]
log_driver = "k8s-file"
$ulimits

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
CONF
conf_changed=0
if cmp -s "$CONF.tmp" "$CONF"; then rm -f "$CONF.tmp"; else mv "$CONF.tmp" "$CONF"; conf_changed=1; fi
export CONTAINERS_CONF=$CONF

# 3. the API service
pid=$(cat "$PIDFILE" 2>/dev/null || true)
ours() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "system service"; }
# A service started from a folder that was deleted since (an older version of this script
# started it from the caller's folder, a test clone) cannot start containers: conmon inherits
# the folder and fails ("write child: broken pipe"). Restart it.
cwd_gone() { ours && readlink "/proc/$pid/cwd" | grep -q ' (deleted)$'; }
if { [ "$conf_changed" = 1 ] || cwd_gone; } && ours; then
  say "$([ "$conf_changed" = 1 ] && echo "config changed" || echo "its folder was deleted"): restarting podman system service (pid $pid)"
  kill "$pid"; for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  pid=""
fi
if ping_podman; then
  say "API answering at unix://$SOCK [$(elapsed)]"
else
  [ "$(id -u)" = 0 ] || die "starting the rootful Podman service needs root"
  if ours; then
    say "podman system service (pid $pid) runs but does not answer yet; waiting"
  else
    mkdir -p "$(dirname "$SOCK")" "$(dirname "$LOG")"
    rm -f "$SOCK"
    say "starting podman system service on unix://$SOCK (log $LOG)"
    # setsid: the service must outlive this script and the shell that ran it. From /: conmon,
    # which starts each container, inherits the service's folder and fails if it is deleted.
    cd /
    setsid podman system service --time=0 "unix://$SOCK" </dev/null >>"$LOG" 2>&1 &
    pid=$!
    echo "$pid" > "$PIDFILE"
  fi
  for _ in $(seq 1 120); do ping_podman && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  ping_podman || { tail -25 "$LOG" >&2; die "podman system service did not answer at unix://$SOCK within 30 s (log $LOG)"; }
  say "API answering at unix://$SOCK, pid $pid [$(elapsed)]"
fi

# 4. Docker beside Podman: dockerd sets the FORWARD policy to DROP, and with br_netfilter
# (which dockerd loads) frames between two containers on the SAME bridge pass FORWARD too.
# Netavark 1.4 accepts them for its ordinary networks (-s subnet -j ACCEPT) but adds no rule
# at all for an --internal one, so there every container-to-container packet is dropped: the
# app cannot reach its database, nor the gateway the app. Accept exactly that traffic, frames
# bridged within one podman bridge (nothing routed: internal networks stay without a way
# out), in DOCKER-USER, the chain dockerd keeps for such rules (FORWARD where there is none).
# Not persisted: a reboot or an iptables flush undoes it, and this script adds it again.
if command -v iptables >/dev/null && iptables -S FORWARD 2>/dev/null | grep -q '^-P FORWARD DROP'; then
  chain=FORWARD; iptables -S DOCKER-USER >/dev/null 2>&1 && chain=DOCKER-USER
  rule=(-i 'podman+' -o 'podman+' -m physdev --physdev-is-bridged -m comment --comment "repro: podman intra-bridge" -j ACCEPT)
  if ! iptables -C "$chain" "${rule[@]}" 2>/dev/null; then
    iptables -I "$chain" "${rule[@]}" || die "could not add the iptables rule for Podman's internal networks"
    say "FORWARD policy is DROP (dockerd): accepting frames within a podman bridge ($chain)"
  fi
fi

# 5. images (`podman load` names them localhost/postgres:15 & co., which Podman's Docker API
# finds by their short names as it does docker.io's)
missing=()
for img in $IMAGES; do podman image exists "$img" || missing+=("$img"); done
if [ ${#missing[@]} -gt 0 ]; then
  command -v docker >/dev/null || die "no docker CLI to copy ${missing[*]} from (run engine.sh and images.sh first)"
  for img in "${missing[@]}"; do
    DOCKER_HOST=$DOCKER_SRC docker image inspect "$img" >/dev/null 2>&1 \
      || die "$img is on neither engine: run scripts/provision/images.sh first"
  done
  t=$(date +%s.%N)
  # one archive for all of them: layers they share go once
  DOCKER_HOST=$DOCKER_SRC docker save "${missing[@]}" | podman load -q >/dev/null \
    || die "docker save ${missing[*]} | podman load failed"
  for img in "${missing[@]}"; do podman image exists "$img" || die "$img missing in Podman after loading it"; done
  say "copied ${missing[*]} from Docker [$(elapsed "$t")]"
fi

v=$(curl -fsS --max-time 3 --unix-socket "$SOCK" http://d/version | sed -E 's/.*"Version":"([^"]*)".*"ApiVersion":"([^"]*)".*/\1 (API \2)/')
say "podman $v at unix://$SOCK, images ready: $IMAGES [$(elapsed)]"
