#!/usr/bin/env bash
# The main job, on a sample project: builds the VSIX, installs it into a private code-server
# profile, makes a git repository of the sample shop (tagged release included), starts
# code-server on 127.0.0.1 with that project open, and prints the URL to open.
#   npm run demo                 (Ctrl-C stops code-server)
# Env: REPRO_DEMO_DIR   where the demo's project and profile live (default ~/.cache/repro-demo)
#      REPRO_DEMO_PORT  the port to listen on (default: a free one)
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=${REPRO_DEMO_DIR:-$HOME/.cache/repro-demo}
say() { printf 'demo: %s\n' "$*" >&2; }

[ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error
# The engine and images let the project's stack come up from the demo; code-server and Chromium
# are what the demo runs in.
bash scripts/provision/all.sh >&2
# shellcheck disable=SC1091
. "${REPRO_TOOLS:-/var/cache/repro-tools}/paths.env"

say "building the VSIX"
npm run --silent package >/dev/null
mkdir -p "$DEMO"
rm -rf "$DEMO/extensions"
"$REPRO_NODE24" "$REPRO_CODE_SERVER" --extensions-dir "$DEMO/extensions" --user-data-dir "$DEMO/user-data" \
  --install-extension dist/repro.vsix >/dev/null

say "making the sample project's git repository"
release=$(bash test/fixtures/make-sample-repo.sh "$DEMO/sample-shop" 2>/dev/null)
mkdir -p "$DEMO/user-data/User"
printf "auth: none\ncert: false\n" > "$DEMO/config.yaml" # never ~/.config/code-server
[ -f "$DEMO/user-data/User/settings.json" ] || cat > "$DEMO/user-data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "security.workspace.trust.enabled": false,
  "update.mode": "none",
  "extensions.autoUpdate": false
}
JSON

# The sample incident, as an alert would link it (the scheme is code-server's own).
link="vscode://reprokit.repro/reproduce?incident=INC-137&title=Badge%20500%20for%20customer%20137&release=v1.4.0&env=production&service=web&repo=https%3A%2F%2Fgithub.com%2Freprokit%2Fsample-shop.git&frames=%2Fapp%2Fsrc%2Fbadge.js%3A40%3A21%3B%2Fapp%2Fserver.js%3A57%3A15&method=GET&path=%2Fcustomers%2F137%2Fbadge"
port=${REPRO_DEMO_PORT:-$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}
url="http://127.0.0.1:$port/?folder=$DEMO/sample-shop"
cat >&2 <<TXT

  Repro is running in VS Code (code-server) at:

      $url

  The sample shop is open: the Repro icon in the activity bar shows its manifest.
  Reproduce its incident (release v1.4.0, commit $release): in the Sessions view,
  "Reproduce from Alert…" > "Paste a link or payload…", and paste this link:

      $link

  Confirm, and the release runs with its scrubbed production-shaped data: the receipt's
  "web http" address + customers/137/badge answers the incident's 500.
  A browser cannot hand a vscode:// link to code-server; in desktop VS Code, clicking it
  does the same. From a terminal:
      cd $DEMO/sample-shop && node $(pwd)/dist/cli.js reproduce '$link'
  Ctrl-C stops code-server.

TXT
export PATH="$(dirname "$REPRO_NODE24"):$PATH"
exec "$REPRO_NODE24" "$REPRO_CODE_SERVER" --bind-addr "127.0.0.1:$port" --auth none \
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  --config "$DEMO/config.yaml" --extensions-dir "$DEMO/extensions" --user-data-dir "$DEMO/user-data" "$DEMO/sample-shop"
