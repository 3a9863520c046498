# Shared by the provisioning scripts (sourced, not run): installing Debian packages safely on
# a machine with no init system, one apt at a time. Expects STATE and die() from the caller.

pkg_missing() { # prints the packages among $@ that are not installed
  local p; for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}
apt_install() { # installs the missing packages among $@; one apt at a time (flock), no daemons
  local missing; missing=$(pkg_missing "$@" | tr '\n' ' '); [ -n "${missing// }" ] || return 0
  [ "$(id -u)" = 0 ] || die "need root to apt-get install $missing"
  mkdir -p "$STATE"
  echo "apt-get install $missing (log $STATE/apt.log)" >&2
  (
    flock -w 900 9 || { echo "timed out waiting for /var/lock/repro-apt.lock" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3) made=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then # no init system: never let a postinst start a daemon
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made=1
    fi
    trap '[ -n "$made" ] && rm -f /usr/sbin/policy-rc.d' EXIT
    # shellcheck disable=SC2086
    if [ ! -f "$STATE/apt-updated" ] || ! "${apt[@]}" install -y --no-install-recommends $missing >>"$STATE/apt.log" 2>&1; then
      "${apt[@]}" update >>"$STATE/apt.log" 2>&1 || { tail -20 "$STATE/apt.log" >&2; exit 1; }
      touch "$STATE/apt-updated"
      # shellcheck disable=SC2086
      "${apt[@]}" install -y --no-install-recommends $missing >>"$STATE/apt.log" 2>&1 || { tail -20 "$STATE/apt.log" >&2; exit 1; }
    fi
  ) 9>/var/lock/repro-apt.lock
}
