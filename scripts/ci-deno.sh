#!/usr/bin/env bash
# CI for Deno (after `npm install`, which puts Deno in node_modules; nothing else is downloaded):
#  1. the Deno suite under `deno test`: every built-in plugin's test files, the Deno-specific tests
#     (a database shared with Bun, node:sqlite transactions, body caps, hot reload) and the bun:test
#     shim's own check; with --full also the host's portable tests (test/deno/host.deno.ts, about
#     25 s more);
#  2. an end-to-end smoke: `deno task start` in local mode (with the built-in LINE stand-in), a signed
#     webhook answered by echo, a plugin file added while running and answering, a clean stop.
# Every wait is on a log line or an HTTP answer, each bounded.
#
#   scripts/ci-deno.sh [--full]
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
deno=./node_modules/.bin/deno
started=$SECONDS

suite=(test/deno/bun-test-shim.deno.ts test/deno/runtime.deno.ts test/deno/plugins.deno.ts)
[[ ${1:-} == --full ]] && suite+=(test/deno/host.deno.ts)
echo "== deno test ${suite[*]}"
timeout 300 "$deno" task test "${suite[@]}"

echo "== smoke: deno task start (local mode), echo, hot load, stop"
work=$(mktemp -d)
log="$work/hotline.log"
pid=""
cleanup() {
  # Only on failure is anything left: the process group of the bot we started, or, if setsid has
  # not made the group yet, the process itself (so it never gets to start the bot).
  if [[ -n $pid ]]; then
    kill -KILL -- "-$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "ci-deno: $1" >&2
  echo "---- bot log ----" >&2
  cat "$log" >&2 || true
  exit 1
}

# Waits (up to $2 s) until the bot's log has a line containing every fragment in $3…
wait_for_log() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    local lines
    lines=$(cat "$log" 2>/dev/null || true)
    for fragment in "$@"; do lines=$(grep -F -- "$fragment" <<<"$lines" || true); done
    [[ -n $lines ]] && return 0
    kill -0 "$pid" 2>/dev/null || fail "the bot exited while waiting for $what"
    sleep 0.1
  done
  fail "no $what within ${seconds}s"
}

send() {
  DATA_DIR="$work/data" timeout 20 "$deno" run --allow-all --no-check scripts/send.ts "$1" ||
    fail "sending \"$1\" failed"
}

# The built-in plugins, from a directory outside the project (the SDK gets linked in there).
mkdir -p "$work/plugins"
cp -R plugins/. "$work/plugins/"
: >"$log"
# setsid: the bot (deno task and the deno it starts) gets its own process group, so a failed run
# can be cleaned up whole; a normal stop is SIGTERM to deno task, which passes it on.
DATA_DIR="$work/data" PLUGINS_DIR="$work/plugins" HOST=127.0.0.1 PORT=0 LOG_LEVEL=info \
  setsid "$deno" task start >"$log" 2>&1 &
pid=$!

wait_for_log "start-up" 30 '"msg":"hotline is running"'
grep -Eq '"msg":"plugins loaded: [0-9]+ ok, 0 failed"' "$log" || fail "not every plugin loaded"

send "hello from deno"
wait_for_log "echo's reply" 15 '"msg":"LINE stand-in: bot replied"' '"text":"hello from deno"'

# A new plugin file, written aside and renamed in (files starting with "." are never plugins).
cat >"$work/plugins/.ci-smoke.ts.tmp" <<'EOF'
import { definePlugin } from "hotline";

export default definePlugin({
  name: "ci-smoke",
  on: { "message:text": (event, ctx) => ctx.reply(`hot-loaded: ${event.message.text}`) },
});
EOF
mv "$work/plugins/.ci-smoke.ts.tmp" "$work/plugins/ci-smoke.ts"
wait_for_log "hot load of ci-smoke" 15 '"plugin":"ci-smoke"' '"msg":"plugin loaded"'

send "second message"
wait_for_log "the hot-loaded plugin's reply" 15 '"msg":"LINE stand-in: bot replied"' \
  '"text":"hot-loaded: second message"'

kill -TERM "$pid"
deadline=$((SECONDS + 15))
while kill -0 "$pid" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "the bot did not stop within 15s of SIGTERM"
  sleep 0.1
done
status=0
wait "$pid" || status=$?
pid=""
((status == 0)) || fail "the bot exited with status $status"
grep -Fq '"msg":"shutting down: finishing in-flight deliveries"' "$log" || fail "no clean shutdown"

echo "ci-deno: ok in $((SECONDS - started))s (Deno suite + smoke)"
