#!/usr/bin/env bash
# Prints the project's performance figures. Each figure comes with a baseline measured in the
# same run, so ratios hold across machines. A figure with a target prints it and "met" or "MISSED".
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error

echo "== bundles (production build)"
node esbuild.mjs --production >/dev/null
for f in dist/extension.js dist/logViewer.js dist/cli.js dist/ssh-transport.js; do
  printf '  %-20s %8.1f KB\n' "$f" "$(( $(stat -c %s "$f") ))e-3"
done
ext=$(stat -c %s dist/extension.js)
printf '  extension bundle target < 1024 KB: %s\n' "$([ "$ext" -lt 1048576 ] && echo met || echo MISSED)"

node node_modules/typescript/bin/tsc -p tsconfig.json
echo "== manifest"
node out/test/bench/manifest.bench.js

echo "== drift (generated 50-service manifest, no network)"
node out/test/bench/drift.bench.js
echo "== Incidents view refresh (50 kept incidents, 200 receipts)"
node out/test/bench/incidents.bench.js 200

echo "== data scrubbing (synthetic 200 MB dump, sample rules)"
node out/test/bench/scrub.bench.js

echo "== data clone (generated 200 MB dump: scrubber vs cat, clone vs plain restore, cached vs cold)"
bash scripts/provision/engine.sh >/dev/null && bash scripts/provision/images.sh >/dev/null
node out/test/bench/clone.bench.js 200 5

echo "== stack on the real engine (sample project)"
bash scripts/provision/engine.sh >/dev/null && bash scripts/provision/images.sh >/dev/null
node out/test/bench/stack.bench.js 5

echo "== time to reproduce the sample incident (link to ready, real git and engine)"
node out/test/bench/reproduce.bench.js 3

echo "== activation in the real extension host (code-server)"
bash scripts/provision/vscode.sh >/dev/null
out=$(mktemp)
REPRO_BENCH_OUT=$out REPRO_E2E_PHASES=inhost node test/e2e/run.mjs >/dev/null 2>&1 || true
if [ -s "$out" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`  activate() ${r.activationMs.toFixed(1)} ms (target < 50 ms: ${r.activationMs < 50 ? "met" : "MISSED"})`);
    if (r.baselineMs !== undefined) console.log(`  baseline: an empty function in the same host ${r.baselineMs.toFixed(3)} ms`);
  ' "$out"
else
  echo "  (no figure: the extension-host run did not report; see node test/e2e/run.mjs)"
fi
rm -f "$out"

# ---- debugger (test/bench/debug.bench.ts, test/e2e/suite/debug.test.ts) ----
echo "== Replay Request to the debugger stopped at the alert's frame (real engine, inspector protocol)"
node out/test/bench/debug.bench.js 10
if [ -s "$out.debug.json" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`  in VS Code (js-debug, code-server): replay to stopped ${r.stoppedMs.toFixed(0)} ms; the same request with no debugger ${r.plainMs.toFixed(1)} ms; ratio ${(r.stoppedMs / r.plainMs).toFixed(1)}`);
  ' "$out.debug.json"
fi
rm -f "$out.debug.json"
echo "== log pipeline (a container writing as fast as it can -> session stream -> log viewer in Chromium)"
bash scripts/provision/engine.sh >/dev/null && bash scripts/provision/images.sh >/dev/null
bash scripts/provision/vscode.sh >/dev/null # chromium
node --expose-gc out/test/bench/logs.bench.js 200000
