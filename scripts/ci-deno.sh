#!/usr/bin/env bash
# CI for Deno (after `npm install`, which puts Deno in node_modules; nothing else is downloaded):
#  1. the Deno suite under `deno test`, every bot on SQLite: every built-in plugin's test files, the
#     Deno-specific tests (a database shared with Bun, node:sqlite transactions, body caps, hot
#     reload), the bun:test shim's own check, fixtures exported and replayed (test kit), and the PostgreSQL store (the Store contract, several
#     instances, the plugins' file store, a bot on PostgreSQL across a restart, LISTEN/NOTIFY);
#     with --full also the host's portable tests (test/deno/host.deno.ts);
#  2. with --plugins-on-postgres, the plugins' suites again with every bot on PostgreSQL (CI runs
#     them on PostgreSQL under Bun instead);
#  3. an end-to-end smoke: `deno task start` in local mode (with the built-in LINE stand-in), a
#     signed webhook answered by echo, a plugin file added while running and answering, a clean
#     stop; on SQLite, then again on PostgreSQL.
# Every wait is on a log line or an HTTP answer, each bounded.
#
# PostgreSQL: TEST_DATABASE_URL (postgres://…, as for `bun test`) names the server, and each bot on
# it gets a fresh schema, dropped afterwards. Decided as for `bun test` (test/helpers/postgres.ts):
# without it the PostgreSQL parts are skipped, saying so, and with HOTLINE_REQUIRE_POSTGRES=1 (CI)
# the run fails instead; set, but with no server that lets us in there, the run fails.
# Deno runs with --allow-all (deno.json's tasks), so the suite can reach the server on loopback and
# read both variables.
#
#   scripts/ci-deno.sh [--full] [--plugins-on-postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
deno=./node_modules/.bin/deno
started=$SECONDS
full=""
plugins_on_postgres=""
for arg in "$@"; do
  case $arg in
    --full) full=1 ;;
    --plugins-on-postgres) plugins_on_postgres=1 ;;
    *) echo "ci-deno: unknown option $arg" >&2; exit 2 ;;
  esac
done

postgres=${TEST_DATABASE_URL:-}
if [[ -z $postgres ]]; then
  if [[ ${HOTLINE_REQUIRE_POSTGRES:-} == 1 ]]; then
    echo "ci-deno: HOTLINE_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: no PostgreSQL" >&2
    exit 1
  fi
  echo "ci-deno: PostgreSQL parts SKIPPED: set TEST_DATABASE_URL=postgres://… to run them" >&2
fi

# Schemas for the PostgreSQL smoke, what the bot stored there, and whether the server lets us in.
pg_schema() {
  timeout 20 "$deno" run --allow-all --no-check test/deno/fixtures/pg-schema.ts "$@"
}
# A server named but unusable (not answering, or refusing the login) fails the run here, within
# seconds, rather than test by test.
if [[ -n $postgres ]]; then
  pg_schema check "$postgres" || exit 1
fi

suite=(test/deno/bun-test-shim.deno.ts test/deno/runtime.deno.ts test/deno/plugins.deno.ts
  test/deno/postgres.deno.ts test/deno/replay.deno.ts)
[[ -n $full ]] && suite+=(test/deno/host.deno.ts)
echo "== deno test ${suite[*]} (bots on SQLite)"
# An empty DATABASE_URL keeps the test kit's bots on SQLite, whatever the caller's environment has.
# --parallel: a file per core at once (the host suite alone takes about three minutes; each file's
# bots have their own directories, ports and schemas).
DATABASE_URL="" timeout 900 "$deno" task test --parallel "${suite[@]}"

if [[ -n $postgres && -n $plugins_on_postgres ]]; then
  # Not in CI: there the plugins' suites run on PostgreSQL under Bun (.ci/run), and the PostgreSQL
  # store under Deno in postgres.deno.ts above and in the smoke below; this pass would take CI
  # past its time budget.
  suite=(test/deno/plugins.deno.ts)
  echo "== deno test ${suite[*]} (bots on PostgreSQL)"
  DATABASE_URL="$postgres" timeout 1200 "$deno" task test "${suite[@]}"
fi

work=$(mktemp -d)
log=""
pid=""
schema_url=""
cleanup() {
  # Only on failure is a bot left: the process group of the bot we started, or, if setsid has not
  # made the group yet, the process itself (so it never gets to start the bot). The schema the
  # PostgreSQL smoke made goes in either case.
  if [[ -n $pid ]]; then
    kill -KILL -- "-$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [[ -n $schema_url ]]; then
    pg_schema drop "$schema_url" ||
      echo "ci-deno: could not drop the smoke's schema (${schema_url##*schema=})" >&2
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

# Signs a text message and posts it to the bot whose data directory is $1.
send() {
  DATA_DIR="$1/data" timeout 20 "$deno" run --allow-all --no-check scripts/send.ts "$2" ||
    fail "sending \"$2\" failed"
}

# smoke <dir> [DATABASE_URL]: a bot with its data, plugins and log in <dir>; on SQLite without a
# URL (an empty DATABASE_URL is SQLite, whatever the caller's environment has).
smoke() {
  local dir=$1 database_url=${2:-}
  log="$dir/hotline.log"
  # The built-in plugins, from a directory outside the project (the SDK gets linked in there).
  mkdir -p "$dir/plugins"
  cp -R plugins/. "$dir/plugins/"
  : >"$log"
  # setsid: the bot (deno task and the deno it starts) gets its own process group, so a failed run
  # can be cleaned up whole; a normal stop is SIGTERM to deno task, which passes it on.
  DATABASE_URL="$database_url" DATA_DIR="$dir/data" PLUGINS_DIR="$dir/plugins" HOST=127.0.0.1 \
    PORT=0 LOG_LEVEL=info setsid "$deno" task start >"$log" 2>&1 &
  pid=$!

  wait_for_log "start-up" 30 '"msg":"hotline is running"'
  grep -Eq '"msg":"plugins loaded: [0-9]+ ok, 0 failed"' "$log" || fail "not every plugin loaded"

  send "$dir" "hello from deno"
  wait_for_log "echo's reply" 15 '"msg":"LINE stand-in: bot replied"' '"text":"hello from deno"'

  # A new plugin file, written aside and renamed in (files starting with "." are never plugins).
  cat >"$dir/plugins/.ci-smoke.ts.tmp" <<'PLUGIN'
import { definePlugin } from "hotline";

export default definePlugin({
  name: "ci-smoke",
  on: { "message:text": (event, ctx) => ctx.reply(`hot-loaded: ${event.message.text}`) },
});
PLUGIN
  mv "$dir/plugins/.ci-smoke.ts.tmp" "$dir/plugins/ci-smoke.ts"
  wait_for_log "hot load of ci-smoke" 15 '"plugin":"ci-smoke"' '"msg":"plugin loaded"'

  send "$dir" "second message"
  wait_for_log "the hot-loaded plugin's reply" 15 '"msg":"LINE stand-in: bot replied"' \
    '"text":"hot-loaded: second message"'

  kill -TERM "$pid"
  local deadline=$((SECONDS + 15))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "the bot did not stop within 15s of SIGTERM"
    sleep 0.1
  done
  local status=0
  wait "$pid" || status=$?
  pid=""
  ((status == 0)) || fail "the bot exited with status $status"
  grep -Fq '"msg":"shutting down: finishing in-flight deliveries"' "$log" || fail "no clean shutdown"
}

echo "== smoke on SQLite: deno task start (local mode), echo, hot load, stop"
smoke "$work/sqlite"
[[ -f $work/sqlite/data/hotline.db ]] || fail "no hotline.db in DATA_DIR"

if [[ -z $postgres ]]; then
  echo "ci-deno: ok in $((SECONDS - started))s (Deno suite + smoke on SQLite; PostgreSQL SKIPPED)"
  exit 0
fi

echo "== smoke on PostgreSQL: the same with DATABASE_URL (a fresh schema at TEST_DATABASE_URL)"
schema_url=$(pg_schema fresh "$postgres") || fail "cannot make a schema URL from TEST_DATABASE_URL"
smoke "$work/postgres" "$schema_url"
# Both messages are PostgreSQL rows, handled; nothing went to a SQLite file.
stored=$(pg_schema events "$schema_url") || fail "cannot read the smoke's events from PostgreSQL"
[[ $stored == $'message done\nmessage done' ]] ||
  fail "expected two handled messages in PostgreSQL, found: ${stored:-none}"
[[ ! -e $work/postgres/data/hotline.db ]] || fail "the bot on PostgreSQL wrote hotline.db"
echo "ci-deno: ok in $((SECONDS - started))s (Deno suite + smoke on SQLite and PostgreSQL)"
