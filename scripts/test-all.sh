#!/usr/bin/env bash
# Runs every test of the project on this machine, provisioning what is missing first
# (container engine, test images, code-server, Chromium) and reusing what is there.
#   bash scripts/test-all.sh            all phases: unit integration podman e2e
#   PHASES="unit integration" bash scripts/test-all.sh
# Phases: unit; integration (Docker); podman (the engine tests again, on Podman's Docker API:
# scripts/provision/podman.sh installs and starts it); e2e (VS Code in Chromium).
# Ends with one counted line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
PHASES=${PHASES:-"unit integration podman e2e"}
PODMAN_SOCK=${REPRO_PODMAN_SOCK:-/run/podman/podman.sock}
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/repro-tests.XXXXXX")
T0=$(date +%s)
passed=0 failed=0 broken=()
say() { printf '\n=== [%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

say "dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error || { echo "npm ci failed"; exit 1; }
fi

say "provision (engine, images, code-server, chromium)"
case " $PHASES " in
  *" integration "*|*" podman "*|*" e2e "*) bash scripts/provision/all.sh || { echo "provisioning failed"; echo "0 passed, 1 failed"; exit 1; } ;;
esac
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}

say "build (bundles + type-check) and compile tests"
node esbuild.mjs && node node_modules/typescript/bin/tsc -p tsconfig.json || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

# node --test prints "ℹ pass N" / "ℹ fail N" at the end; add them up.
count_node_test() {
  local log=$1 p f
  p=$(grep -aE '^ℹ pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
  f=$(grep -aE '^ℹ fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  passed=$(( passed + ${p:-0} )); failed=$(( failed + ${f:-0} ))
}

run_phase() {
  local name=$1; shift
  say "$name"
  "$@" 2>&1 | tee "$LOGDIR/$name.log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || broken+=("$name")
  return 0
}

# A test that hangs (an engine that stopped answering) fails after this instead of holding the
# run until CI's own limit; a whole phase takes about 5 minutes.
TEST_TIMEOUT=--test-timeout=600000

for phase in $PHASES; do
  case $phase in
    unit)
      run_phase unit node --test $TEST_TIMEOUT --test-reporter=spec out/test/unit/
      count_node_test "$LOGDIR/unit.log" ;;
    integration)
      run_phase integration node --test $TEST_TIMEOUT --test-concurrency=1 --test-reporter=spec out/test/integration/
      count_node_test "$LOGDIR/integration.log" ;;
    podman)
      # The tests that drive the engine, on Podman (rootful, no systemd): connectEngine tells
      # it is Podman and the tests start stacks with selfHealthCheck, as the extension does.
      run_phase podman bash -c "bash scripts/provision/podman.sh && \
        DOCKER_HOST=unix://$PODMAN_SOCK REPRO_TEST_ENGINE=podman node --test $TEST_TIMEOUT --test-concurrency=1 --test-reporter=spec \
          out/test/integration/engine.test.js out/test/integration/stack.test.js out/test/integration/reproduce.test.js \
          out/test/integration/physicalSnapshot.test.js"
      count_node_test "$LOGDIR/podman.log" ;;
    e2e)
      run_phase e2e node test/e2e/run.mjs
      line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$LOGDIR/e2e.log" | tail -1)
      if [ -n "$line" ]; then
        passed=$(( passed + $(echo "$line" | awk '{print $1}') )); failed=$(( failed + $(echo "$line" | awk '{print $3}') ))
      else
        failed=$(( failed + 1 ))
      fi ;;
    *) echo "unknown phase $phase"; exit 64 ;;
  esac
done

# A phase that crashed before reporting counts as a failure even if it printed no count.
for b in "${broken[@]}"; do
  grep -qaE '^ℹ fail [1-9]|^[0-9]+ passed, [1-9][0-9]* failed' "$LOGDIR/$b.log" || failed=$(( failed + 1 ))
done
say "done in $(( $(date +%s) - T0 ))s; logs in $LOGDIR${broken[*]:+; failing phases: ${broken[*]}}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "${#broken[@]}" = 0 ]
