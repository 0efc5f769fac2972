#!/usr/bin/env bash
# CI for the chat simulator in a real browser: installs Debian's chromium when it is missing, then
# runs test/e2e/*.browser.ts (headless Chromium driven by playwright-core against a bot in local
# mode), which also take screenshots (.tmp/screenshots/; with UPDATE_SCREENSHOTS=1 they refresh
# docs/simulator.png and docs/simulator-<kind>.png). `bun test` alone never
# runs those files.
set -euo pipefail
cd "$(dirname "$0")/.."
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}

if [[ ! -x $chromium ]]; then
  echo "== installing chromium (apt-get)"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
fi
"$chromium" --version

# A named file path (./…) makes bun run it although its name has no ".test".
for file in ./test/e2e/simulator.browser.ts ./test/e2e/rich-messages.browser.ts; do
  echo "== browser test (bun test $file)"
  CHROMIUM_PATH=$chromium timeout 120 node_modules/.bin/bun test "$file"
done
