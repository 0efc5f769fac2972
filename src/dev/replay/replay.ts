/**
 * `bun run replay --plugin <file or name> [--chat <chat key>] [--since <time>] [--until <time>]
 * [--limit N] [--fail-on-change] [--verbose]`: runs a plugin file (as it is on disk now) against
 * the events the live store recorded, in timestamp order, in a sandbox: a test bot of its own on
 * SQLite in a temporary directory, its clock set to each event's time, a LINE stand-in answering
 * every call. Nothing reaches LINE; the live store is only read (see `store-reader.ts`). Prints,
 * per event that differs, what the live version sent and what this one would send, then a summary.
 */
import { symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { fixtureFromHistory } from "../fixtures/fixture.ts";
import { createPluginsDir, startTestBot } from "../testing/bot.ts";
import type { ReplayedEvent } from "../testing/replay.ts";
import type { CliIo } from "./cli-io.ts";
import { diffEvent, type Verdict } from "./diff.ts";
import { liveSettings, resolvePluginPath } from "./plugin-file.ts";
import { openHistoryReader, parseTime } from "./store-reader.ts";

const USAGE = `usage: bun run replay --plugin <file or name> [--chat <user:U…|group:C…|room:R…>]
  [--since <time>] [--until <time>] [--limit N] [--fail-on-change] [--verbose]
times: epoch ms, ISO 8601, or ago (--since=-2h, --since=-3d); the store: DATA_DIR or DATABASE_URL`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      plugin: { type: "string" },
      chat: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      limit: { type: "string", default: "1000" },
      "fail-on-change": { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
    },
    strict: true,
  }).values;
}

const MARK: Record<Verdict, string> = {
  identical: "=",
  changed: "~",
  added: "+",
  dropped: "-",
  error: "!",
  unrecorded: "?",
};

export async function replay(argv: string[], io: CliIo): Promise<number> {
  let args: ReturnType<typeof parse>;
  let limit: number;
  try {
    args = parse(argv);
    if (!args.plugin) throw new Error("--plugin is required");
    limit = Number(args.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error("--limit must be a positive integer");
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const started = performance.now();
  const path = resolvePluginPath(args.plugin, io.env.PLUGINS_DIR || "./plugins");
  const now = Date.now();
  const reader = openHistoryReader({
    dataDir: io.env.DATA_DIR || "./data",
    databaseUrl: io.env.DATABASE_URL || undefined,
  });
  let fixture: ReturnType<typeof fixtureFromHistory>;
  try {
    const entries = await reader.history({
      ...(args.chat ? { chatKey: args.chat } : {}),
      ...(args.since ? { since: parseTime(args.since, now) } : {}),
      ...(args.until ? { until: parseTime(args.until, now) } : {}),
      limit,
    });
    fixture = fixtureFromHistory(entries);
    io.err(`replay: ${entries.length} events from ${reader.where}; plugin file ${path}`);
  } finally {
    await reader.close();
  }
  const first = fixture.events[0];
  if (!first) {
    io.out("no recorded events match: nothing to replay\n");
    return 0;
  }
  // Linked in without `.next`: there it is the plugin, not a next version beside it.
  const sandboxPlugins = createPluginsDir();
  symlinkSync(
    path,
    join(sandboxPlugins.dir, basename(path).replace(/\.next(\.[cm]?[jt]sx?)$/, "$1")),
  );
  const sandbox = await startTestBot({
    pluginsDir: sandboxPlugins.dir,
    settings: liveSettings(io.env.CONFIG_FILE || "./hotline.config.json"),
    sqlite: true,
    now: first.event.timestamp,
    // A failure is reported at once and its chat moves on, rather than waiting out retries.
    env: { MAX_ATTEMPTS: "1" },
  });
  try {
    const [status] = sandbox.hotline.plugins.statuses();
    if (!status?.name || status.state === "failed") {
      io.err(`replay: the plugin did not load: ${status?.error ?? "no plugin in the file"}`);
      return 1;
    }
    const name = status.name;
    io.err(
      `replay: plugin "${name}" starts from an empty state: the store keeps plugins' state as it` +
        " is now, not as it was before these events",
    );
    const counts: Record<Verdict, number> = {
      identical: 0,
      changed: 0,
      added: 0,
      dropped: 0,
      error: 0,
      unrecorded: 0,
    };
    const progress = io.tty === true && fixture.events.length > 20;
    const report = (event: ReplayedEvent, index: number, total: number) => {
      const live = event.expected[name] ?? null;
      const next = event.actual[name] ?? [];
      const diff = diffEvent(live, next, event.errors[name], event.changed.includes(name));
      counts[diff.verdict]++;
      if (progress) io.err(`\r\x1b[2K${bar(index + 1, total)}`);
      if (diff.verdict === "identical" && !args.verbose) return;
      if (progress) io.err("\r\x1b[2K");
      const when = new Date(event.timestamp).toISOString();
      const head = `${MARK[diff.verdict]} ${diff.verdict.padEnd(10)} ${when}  ${event.chatKey}  ${event.type}  ${event.eventId}`;
      io.out(`${[head, ...diff.lines.map((line) => `    ${line}`)].join("\n")}\n`);
    };
    const result = await sandbox.replay(fixture, { plugins: [name], onEvent: report });
    if (progress) io.err("\r\x1b[2K");
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const different = counts.changed + counts.added + counts.dropped;
    io.out(
      `\n${result.events.length} events in ${seconds} s: ${counts.identical} identical, ` +
        `${different} changed (${counts.added} added, ${counts.dropped} dropped), ` +
        `${counts.error} errors${counts.unrecorded ? `, ${counts.unrecorded} not recorded live` : ""}\n`,
    );
    return args["fail-on-change"] && different + counts.error > 0 ? 1 : 0;
  } finally {
    await sandbox.stop();
    sandboxPlugins.remove();
  }
}

function bar(done: number, total: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`;
}
