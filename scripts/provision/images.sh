#!/usr/bin/env bash
# Makes sure the images the tests use exist on the engine, under their official names:
#   postgres:15   redis:7   node:20   python:3.11   golang:1.19   eclipse-temurin:17
#   busybox:latest   busybox:1.36.1 (the sessions' gateway)
#
#   bash scripts/provision/images.sh              (idempotent; seconds when all are there)
#   bash scripts/provision/images.sh --apt-deps   print the Debian packages it needs
#
# For each image, in order:
#   1. present on the engine -> used as is (a developer's real image is never replaced);
#   2. `docker pull` (bounded by REPRO_PULL_TIMEOUT, 15 s; where no registry is reachable it
#      fails in well under a second);
#   3. built locally from Debian packages and host binaries, labelled
#      dev.repro.provisioned=true (remove them with
#      `docker rmi $(docker images -q --filter label=dev.repro.provisioned=true)`):
#        busybox:latest  busybox-static rootfs                                    2 MB   ~1 s
#        busybox:1.36.1  the same rootfs (Debian's busybox: only its nc forwards ports)
#        node:<major>    busybox rootfs + the host's node binary, the libraries
#                        ldd lists, npm; the official image's entrypoint        120 MB   ~3 s
#        postgres:15     mmdebstrap minbase bookworm + postgresql-15 (no LLVM JIT) 211 MB ~55 s
#        redis:7         mmdebstrap minbase bookworm + redis-server (7.0)         87 MB  ~35 s
#        python:3.11     mmdebstrap minbase bookworm + python3 (3.11) and
#                        python3-debugpy (the Python debugger Repro starts)       ~70 MB ~35 s
#        golang:1.19     mmdebstrap minbase bookworm + golang-go (1.19) and delve
#                        (the Go debugger Repro starts)                          735 MB  ~80 s
#        eclipse-temurin:17  mmdebstrap minbase bookworm + openjdk-17-jdk-headless
#                        (Debian's OpenJDK 17, for the JDWP tests)              ~300 MB ~60 s
#      The mmdebstrap runs go in parallel; their rootfs tarballs (and .debs) are cached
#      in REPRO_IMAGE_CACHE, so rebuilding an image later takes seconds.
#      Shortcut: where repro-test/postgres:15 / repro-test/redis:7 exist (a machine warmed up
#      with the engine recipe), they serve as the base instead of a fresh mmdebstrap.
#   The postgres and redis entrypoints and config are always applied by this script (a small
#   `docker build` on top of the base), so both paths give the same image.
#
# The node image carries the HOST's node: it is tagged node:<host major>. The tests and the
# sample manifests expect node:20; on a host whose node is not 20 this script says so and
# tags what it has (install Node 20, or pull node:20 where a registry is reachable).
#
# Env (mostly for testing this script without touching the real tags/cache):
#   REPRO_IMAGE_PREFIX   prefix for every tag, e.g. "scratch/" -> scratch/postgres:15 (default "")
#   REPRO_IMAGE_CACHE    rootfs/.deb cache (default /var/cache/repro-images)
#   REPRO_IMAGES         which images (default "busybox gateway node postgres redis python golang java")
#   REPRO_IMAGE_REUSE=0  do not use the repro-test/* shortcut
#   REPRO_IMAGE_PULL=0   do not try docker pull
#   REPRO_PULL_TIMEOUT   seconds (default 15)
#   DOCKER_HOST          the engine (default: the docker CLI's default)
set -euo pipefail

T0=$(date +%s.%N)
elapsed() { awk -v a="$(date +%s.%N)" -v b="${1:-$T0}" 'BEGIN{printf "%.1fs", a-b}'; }
say() { echo "images: $*"; }
die() { echo "images: ERROR: $*" >&2; exit 1; }

PREFIX=${REPRO_IMAGE_PREFIX:-}
CACHE=${REPRO_IMAGE_CACHE:-/var/cache/repro-images}
WANT=${REPRO_IMAGES:-busybox gateway node postgres redis python golang java}
REUSE=${REPRO_IMAGE_REUSE:-1}
PULL=${REPRO_IMAGE_PULL:-1}
PULL_TIMEOUT=${REPRO_PULL_TIMEOUT:-15}
LABEL=dev.repro.provisioned=true
STATE=/var/lib/repro-provision
APT_PKGS=(mmdebstrap busybox-static)
BASE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Debian packages: pkg_missing, apt_install.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${1:-}" = --apt-deps ]; then
  pkg_missing "${APT_PKGS[@]}"
  command -v docker >/dev/null || pkg_missing docker.io
  exit 0
fi

command -v docker >/dev/null || apt_install docker.io   # the CLI (engine.sh normally brought it)
timeout 20 docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "no container engine answers${DOCKER_HOST:+ at $DOCKER_HOST}: run scripts/provision/engine.sh first"

have() { docker image inspect "$1" >/dev/null 2>&1; }
HOST_NODE=$(readlink -f "$(command -v node)")
NODE_VER=$("$HOST_NODE" -p process.versions.node); NODE_MAJOR=${NODE_VER%%.*}

tag_of() { # short name -> official tag
  case $1 in
    busybox) echo "${PREFIX}busybox:latest" ;;
    # the image a session's gateway runs (DEFAULT_GATEWAY_IMAGE in extension/core/stack/plan.ts)
    gateway) echo "${PREFIX}busybox:1.36.1" ;;
    node) echo "${PREFIX}node:$NODE_MAJOR" ;;
    postgres) echo "${PREFIX}postgres:15" ;;
    redis) echo "${PREFIX}redis:7" ;;
    python) echo "${PREFIX}python:3.11" ;;
    golang) echo "${PREFIX}golang:1.19" ;;
    java) echo "${PREFIX}eclipse-temurin:17" ;;
    *) die "unknown image '$1' in REPRO_IMAGES (known: busybox gateway node postgres redis python golang java)" ;;
  esac
}

try_pull() { # TAG (without prefix: the official name) -> 0 if pulled
  [ "$PULL" = 1 ] || return 1
  local t; t=$(date +%s.%N)
  if timeout -k 3 "$PULL_TIMEOUT" docker pull -q "$1" >/dev/null 2>"$CACHE/logs/pull.err"; then
    [ "${1}" = "$2" ] || docker tag "$1" "$2"
    say "$2 pulled [$(elapsed "$t")]"; return 0
  fi
  say "$2: pull failed in $(elapsed "$t") ($(tr '\n' ' ' < "$CACHE/logs/pull.err" | sed -E 's/^Error response from daemon: //; s/ +$//' | cut -c1-90)), building it locally"
  return 1
}

# ------------------------------------------------------------------ busybox / node
make_busybox_root() { # DIR: a busybox-static root with the applets linked in
  local R=$1
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || apt_install busybox-static
  rm -rf "$R"; mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,home,dev,proc,sys}
  cp /bin/busybox "$R/bin/busybox"
  chroot "$R" /bin/busybox --install -s
  chmod 1777 "$R/tmp" "$R/var/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$R/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$R/etc/group"
  printf 'hosts: files dns\n' > "$R/etc/nsswitch.conf"
}

build_busybox() { # TAG
  local tar=$CACHE/busybox.tar
  if [ ! -s "$tar" ]; then
    make_busybox_root "$CACHE/busybox-root"
    tar -C "$CACHE/busybox-root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"; rm -rf "$CACHE/busybox-root"
  fi
  docker import --change "LABEL $LABEL" --change "ENV PATH=$BASE_PATH" --change 'CMD ["sh"]' \
    "$tar" "$1" >/dev/null
}

build_node() { # TAG
  local R=$CACHE/node-root tar=$CACHE/node-$NODE_VER.tar lib npmdir
  make_busybox_root "$R"
  install -D -m 755 "$HOST_NODE" "$R/usr/local/bin/node"
  # the dynamic loader and every library ldd lists (glibc 2.36 has NSS built in)
  for lib in $(ldd "$HOST_NODE" | awk '/=>/ && $3 ~ /^\// {print $3} /^[ \t]*\/.*ld-linux/ {print $1}'); do
    cp -L --parents "$lib" "$R/"
  done
  npmdir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  if [ -f "$npmdir/package.json" ]; then
    mkdir -p "$R/usr/local/lib/node_modules"; cp -a "$npmdir" "$R/usr/local/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
  fi
  [ -f /etc/ssl/certs/ca-certificates.crt ] && install -D -m 644 /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
  echo 'node:x:1000:1000::/home/node:/bin/sh' >> "$R/etc/passwd"; echo 'node:x:1000:' >> "$R/etc/group"
  mkdir -p "$R/home/node"; chown 1000:1000 "$R/home/node"
  # the official image's entrypoint: `docker run node:20 app.js` runs node app.js
  cat > "$R/usr/local/bin/docker-entrypoint.sh" <<'EOS'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOS
  chmod 755 "$R/usr/local/bin/docker-entrypoint.sh"
  chroot "$R" /usr/local/bin/node -e 'require("dns");require("net")' # smoke test
  tar -C "$R" -cf "$tar" .; rm -rf "$R"
  docker import --change "LABEL $LABEL" --change "ENV PATH=$BASE_PATH" --change "ENV NODE_VERSION=$NODE_VER" \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["node"]' "$tar" "$1" >/dev/null
  rm -f "$tar"   # ~120 MB, and rebuilt from the host's node in ~2 s
  have "${PREFIX}node:$NODE_VER" || docker tag "$1" "${PREFIX}node:$NODE_VER"
}

# ------------------------------------------------------------------ postgres / redis
debian_sources() { # writes $CACHE/sources.list from the host's Debian mirrors
  local uris mirror sec
  uris=$( { awk '/^URIs:/{for(i=2;i<=NF;i++)print $i}' /etc/apt/sources.list.d/*.sources 2>/dev/null
            awk '/^deb /{for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; } || true)
  mirror=$(grep -E '/debian/?$' <<<"$uris" | head -1 || true)
  sec=$(grep -E '/debian-security/?$' <<<"$uris" | head -1 || true)
  cat > "$CACHE/sources.list" <<EOF
deb ${mirror:-http://deb.debian.org/debian} bookworm main
deb ${mirror:-http://deb.debian.org/debian} bookworm-updates main
deb ${sec:-http://deb.debian.org/debian-security} bookworm-security main
EOF
}

mmdeb() { # NAME PKGS [extra mmdebstrap args...]: minbase bookworm rootfs -> $CACHE/NAME.tar
  local name=$1 pkgs=$2; shift 2
  local out=$CACHE/$name.tar debs=$CACHE/debs-$name; mkdir -p "$debs"
  mmdebstrap --mode=root --variant=minbase --format=tar \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='force-unsafe-io' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --include="$pkgs" --skip=essential/unlink \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in $debs /var/cache/apt/archives/" \
    "$@" \
    --customize-hook="sync-out /var/cache/apt/archives $debs" \
    --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$out.tmp" "$CACHE/sources.list" >"$CACHE/logs/mmdebstrap-$name.log" 2>&1 \
    || { tail -30 "$CACHE/logs/mmdebstrap-$name.log" >&2; rm -f "$out.tmp"; return 1; }
  mv "$out.tmp" "$out"
}

make_postgres_tar() {
  # LLVM JIT (libLLVM 105 MB + libz3 23 MB + bitcode 26 MB) is left out: jit is unavailable
  mmdeb postgres-15 postgresql-15 \
    --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libLLVM-*' \
    --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libz3.so*' \
    --dpkgopt='path-exclude=/usr/lib/postgresql/15/lib/bitcode/*' \
    --dpkgopt='path-exclude=/usr/lib/postgresql/15/lib/llvmjit*' \
    --customize-hook='sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '"'*'"'!" "$1"/usr/share/postgresql/15/postgresql.conf.sample' \
    --customize-hook='rm -rf "$1"/etc/postgresql/15/main "$1"/var/lib/postgresql/15; mkdir -p "$1"/docker-entrypoint-initdb.d "$1"/var/run/postgresql "$1"/var/lib/postgresql/data' \
    --customize-hook='chroot "$1" chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql; chmod 3777 "$1"/var/run/postgresql; chmod 1777 "$1"/var/lib/postgresql/data'
}

make_redis_tar() {
  mmdeb redis-7 redis-server \
    --customize-hook='mkdir -p "$1"/data && chroot "$1" chown redis:redis /data'
}

make_python_tar() { # python-is-python3: `python` as in the official image
  mmdeb python-3.11 python3,python-is-python3,python3-debugpy
}

make_golang_tar() { # gcc: cgo, which `go build` uses by default (net, os/user)
  mmdeb golang-1.19 golang-go,delve,gcc,libc6-dev \
    --customize-hook='mkdir -p "$1"/go/bin "$1"/go/src && chmod -R 1777 "$1"/go'
}

make_java_tar() { # man pages are left out, but the JRE's alternatives link into man1: it must exist
  mmdeb java-17 openjdk-17-jdk-headless --setup-hook='mkdir -p "$1"/usr/share/man/man1'
}

# The version each mmdebstrap-built image is tagged with, and the packages it is made of.
mm_version() { case $1 in postgres) echo 15 ;; redis) echo 7 ;; python) echo 3.11 ;; golang) echo 1.19 ;; java) echo 17 ;; esac; }
mm_what() { case $1 in postgres) echo postgresql-15 ;; redis) echo redis-server ;; python) echo python3 + python3-debugpy ;; golang) echo golang-go + delve ;; java) echo openjdk-17-jdk-headless ;; esac; }

write_postgres_entrypoint() { # minimal re-implementation of docker-library/postgres's entrypoint
  cat > "$1" <<'EOS'
#!/usr/bin/env bash
# postgres entrypoint (built by Repro's scripts/provision/images.sh): POSTGRES_PASSWORD /
# POSTGRES_USER / POSTGRES_DB / POSTGRES_INITDB_ARGS / POSTGRES_HOST_AUTH_METHOD / PGDATA
# (and their *_FILE variants) and /docker-entrypoint-initdb.d/*.{sh,sql,sql.gz} as in the
# official image.
set -Eeo pipefail
file_env() { local v=$1 f=${1}_FILE; if [ -n "${!f:-}" ]; then export "$v"="$(< "${!f}")"; unset "$f"; fi; }
for v in POSTGRES_PASSWORD POSTGRES_USER POSTGRES_DB POSTGRES_INITDB_ARGS; do file_env "$v"; done
: "${PGDATA:=/var/lib/postgresql/data}"; export PGDATA
if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 700 "$PGDATA"; chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_USER:=postgres}"; : "${POSTGRES_DB:=$POSTGRES_USER}"
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo 'Error: database is uninitialized and superuser password is not specified.' >&2
    echo '  Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust).' >&2; exit 1
  fi
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"${POSTGRES_INITDB_ARGS:-}"
  else
    eval 'initdb --username="$POSTGRES_USER" '"${POSTGRES_INITDB_ARGS:-}"
  fi
  printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
  export PGPASSWORD="${POSTGRES_PASSWORD:-}"
  psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db" ;'
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) if [ -x "$f" ]; then echo "running $f"; "$f"; else echo "sourcing $f"; . "$f"; fi ;;
      *.sql) echo "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
      *) [ -e "$f" ] && echo "ignoring $f" ;;
    esac
  done
  unset PGPASSWORD
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo; echo 'PostgreSQL init process complete; ready for start up.'; echo
fi
exec "$@"
EOS
}

write_redis_entrypoint() { # like the official image: flags => redis-server, user redis, protected mode off
  cat > "$1" <<'EOS'
#!/bin/sh
# redis entrypoint (built by Repro's scripts/provision/images.sh), as the official image's
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then
  case " $* " in *protected-mode*) ;; *) set -- "$@" --protected-mode no ;; esac
  if [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
EOS
}

# FROM base + entrypoint + the official image's config + our label (legacy builder: no
# BuildKit needed; metadata plus one 3 KB layer). `docker import` alone cannot set STOPSIGNAL.
finish_image() { # NAME BASE TAG
  local name=$1 base=$2 tag=$3 d; d=$(mktemp -d)
  # The official python, golang and eclipse-temurin images have no entrypoint.
  local plain=0; case $name in python|golang|java) plain=1 ;; esac
  [ "$plain" = 1 ] || { "write_${name}_entrypoint" "$d/docker-entrypoint.sh"; chmod 755 "$d/docker-entrypoint.sh"; }
  {
    echo "FROM $base"
    [ "$plain" = 1 ] || echo "COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh"
    if [ "$name" = java ]; then
      cat <<'EOF'
ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
ENV PATH=/usr/lib/jvm/java-17-openjdk-amd64/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LANG=C.UTF-8 JAVA_VERSION=17
CMD ["jshell"]
EOF
    elif [ "$name" = golang ]; then
      cat <<'EOF'
ENV GOPATH=/go
ENV PATH=/go/bin:/usr/lib/go-1.19/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LANG=C.UTF-8 GOLANG_VERSION=1.19
WORKDIR /go
CMD ["bash"]
EOF
    elif [ "$name" = python ]; then
      cat <<'EOF'
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LANG=C.UTF-8 PYTHON_VERSION=3.11
CMD ["python3"]
EOF
    elif [ "$name" = postgres ]; then
      cat <<'EOF'
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LANG=C.UTF-8 PG_MAJOR=15 PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
CMD ["postgres"]
EOF
    else
      cat <<'EOF'
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /data
VOLUME /data
EXPOSE 6379
CMD ["redis-server"]
EOF
    fi
    [ "$plain" = 1 ] || echo 'ENTRYPOINT ["docker-entrypoint.sh"]'
    echo "LABEL $LABEL"
  } > "$d/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$d" >"$CACHE/logs/build-$name.log" 2>&1 \
    || { cat "$CACHE/logs/build-$name.log" >&2; rm -rf "$d"; return 1; }
  rm -rf "$d"
}

# ------------------------------------------------------------------ main
mkdir -p "$CACHE/logs"
todo=()
for n in $WANT; do
  t=$(tag_of "$n")
  if have "$t"; then continue; fi
  official=${t#"$PREFIX"}
  if try_pull "$official" "$t"; then continue; fi
  todo+=("$n")
done

if [ "$NODE_MAJOR" != 20 ] && [[ " $WANT " == *" node "* ]] && ! have "${PREFIX}node:20"; then
  say "WARNING: the host's node is v$NODE_VER, so the local node image is node:$NODE_MAJOR; tests that use node:20 need Node 20 on the host (or a reachable registry)"
fi

# postgres / redis: start the slow mmdebstrap runs first (in parallel), do the rest meanwhile
declare -A base=() pid=()
stop_builds() { # on an early exit, don't leave mmdebstrap runs behind
  local p; for p in "${pid[@]}"; do
    kill -0 "$p" 2>/dev/null || continue
    pkill -TERM -P "$p" 2>/dev/null || true; kill -TERM "$p" 2>/dev/null || true
  done
}
trap stop_builds EXIT
for n in "${todo[@]}"; do
  case $n in postgres|redis|python|golang|java) ;; *) continue ;; esac
  short=$n:$(mm_version "$n")
  if [ "$REUSE" = 1 ] && have "repro-test/$short"; then base[$n]="repro-test/$short"; continue; fi
  if [ ! -s "$CACHE/$n-${short#*:}.tar" ]; then
    command -v mmdebstrap >/dev/null || apt_install "${APT_PKGS[@]}"
    [ -s "$CACHE/sources.list" ] || debian_sources
    say "$(tag_of "$n"): mmdebstrap bookworm + $(mm_what "$n") (log $CACHE/logs/mmdebstrap-$n-${short#*:}.log)"
    ( "make_${n}_tar" ) & pid[$n]=$!
  fi
done

for n in "${todo[@]}"; do
  t=$(tag_of "$n"); s=$(date +%s.%N)
  case $n in
    busybox|gateway) build_busybox "$t"; say "$t built [$(elapsed "$s")]" ;;
    node) build_node "$t"; say "$t built from the host's node v$NODE_VER [$(elapsed "$s")]" ;;
  esac
done

fail=0
for n in "${todo[@]}"; do
  case $n in postgres|redis|python|golang|java) ;; *) continue ;; esac
  t=$(tag_of "$n"); s=$(date +%s.%N)
  if [ -n "${pid[$n]:-}" ]; then
    wait "${pid[$n]}" || { echo "images: ERROR: mmdebstrap for $t failed (log $CACHE/logs/)" >&2; fail=1; continue; }
  fi
  if [ -z "${base[$n]:-}" ]; then
    tar=$CACHE/$n-$(mm_version "$n").tar
    base[$n]="repro-provision-tmp/$n:$$"
    docker import "$tar" "${base[$n]}" >/dev/null
    from="$([ -n "${pid[$n]:-}" ] && echo "a fresh" || echo "the cached") rootfs $tar"
  else
    from="${base[$n]}"
  fi
  finish_image "$n" "${base[$n]}" "$t" || { echo "images: ERROR: building $t failed" >&2; fail=1; }
  [[ ${base[$n]} == repro-provision-tmp/* ]] && docker rmi "${base[$n]}" >/dev/null 2>&1 || true
  have "$t" && say "$t built from $from [$(elapsed "$s")]"
done
[ "$fail" = 0 ] || die "some images could not be built"

missing=()
for n in $WANT; do have "$(tag_of "$n")" || missing+=("$(tag_of "$n")"); done
[ ${#missing[@]} = 0 ] || die "missing after provisioning: ${missing[*]}"
list=$(for n in $WANT; do printf '%s ' "$(tag_of "$n")"; done)
say "${list% } ready$([ ${#todo[@]} = 0 ] && echo ' (all present)') [$(elapsed)]"
