/**
 * `bun run replay --plugin <file or name> [--chat <chat key>] [--since <time>] [--until <time>]
 * [--limit N] [--fail-on-change] [--verbose]`: runs a plugin file (as it is on disk now) against
 * the events the live store recorded, in timestamp order, in a sandbox: a test bot of its own on
 * SQLite in a temporary directory, its clock set to each event's time, a LINE stand-in answering
 * every call. Nothing reaches LINE; the live store is only read (see `store-reader.ts`). Prints,
 * per event that differs, what the live version sent and what this one would send, then a summary.
 */
import { symlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { eventIdOf } from "../../core/event-id.ts";
import { linkSdkInto } from "../../plugin-host/sdk-link.ts";
import type { HistoryEntry, HistoryQuery } from "../../storage/store.ts";
import { type Fixture, fixtureFromHistory } from "../fixtures/fixture.ts";
import { startTestBot } from "../testing/bot.ts";
import { createPluginsDir } from "../testing/plugins-dir.ts";
import type { ReplayedEvent } from "../testing/replay.ts";
import type { CliIo } from "./cli-io.ts";
import { diffEvent, type Verdict } from "./diff.ts";
import { liveSettings, resolvePluginPath } from "./plugin-file.ts";
import { type HistoryReader, openHistoryReader, parseTime } from "./store-reader.ts";

const USAGE = `usage: bun run replay --plugin <file or name> [--chat <user:U…|group:C…|room:R…>]
  [--since <time>] [--until <time>] [--limit N] [--fail-on-change] [--verbose] [--follow]
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
      follow: { type: "boolean", default: false },
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

/** `signal` ends a `--follow` run (Ctrl-C): the summary is printed, and the exit code returned. */
export async function replay(argv: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
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
  // A file outside the project imports "hotline" as one in PLUGINS_DIR does: through a link.
  const link = linkSdkInto(dirname(path));
  if (link) io.err(`replay: linked the plugin SDK beside the plugin ("hotline"): ${link}`);
  const now = Date.now();
  const reader = openHistoryReader({
    dataDir: io.env.DATA_DIR || "./data",
    databaseUrl: io.env.DATABASE_URL || undefined,
  });
  try {
    // Following starts from now unless told otherwise: what comes in from here on.
    const since = args.since ? parseTime(args.since, now) : args.follow ? now : undefined;
    const query = {
      ...(args.chat ? { chatKey: args.chat } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(args.until ? { until: parseTime(args.until, now) } : {}),
      limit,
    };
    const stored = await reader.history(query);
    // Following, an event still being handled live is left to the polls: its answers are not on
    // record yet.
    const entries = args.follow ? settledPrefix(stored) : stored;
    io.err(`replay: ${entries.length} events from ${reader.where}; plugin file ${path}`);
    if (entries.length === 0 && !args.follow) {
      io.out("no recorded events match: nothing to replay\n");
      return 0;
    }
    const follow = args.follow ? { reader, query, signal, pollMs: io.pollMs ?? 1000 } : undefined;
    return await runSandbox(path, fixtureFromHistory(entries), args, io, started, follow);
  } finally {
    await reader.close();
  }
}

interface Following {
  reader: HistoryReader;
  query: HistoryQuery;
  signal: AbortSignal | undefined;
  pollMs: number;
}

async function runSandbox(
  path: string,
  fixture: Fixture,
  args: ReturnType<typeof parse>,
  io: CliIo,
  started: number,
  follow: Following | undefined,
): Promise<number> {
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
    now: fixture.events[0]?.event.timestamp ?? Date.now(),
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
    let replayed = 0;
    if (fixture.events.length > 0)
      replayed += (await sandbox.replay(fixture, { plugins: [name], onEvent: report })).events
        .length;
    if (progress) io.err("\r\x1b[2K");
    if (follow) {
      io.err("replay: following the live store; stop with Ctrl-C");
      const seen = new Set(fixture.events.map((entry) => eventIdOf(entry.event)));
      for (const ready of newEvents(follow, seen, fixture.events.at(-1)?.event.timestamp)) {
        const batch = await ready;
        if (batch.events.length === 0) continue;
        replayed += (await sandbox.replay(batch, { plugins: [name], onEvent: report })).events
          .length;
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const different = counts.changed + counts.added + counts.dropped;
    io.out(
      `\n${replayed} events in ${seconds} s: ${counts.identical} identical, ` +
        `${different} changed (${counts.added} added, ${counts.dropped} dropped), ` +
        `${counts.error} errors${counts.unrecorded ? `, ${counts.unrecorded} not recorded live` : ""}\n`,
    );
    return args["fail-on-change"] && different + counts.error > 0 ? 1 : 0;
  } finally {
    await sandbox.stop();
    sandboxPlugins.remove();
  }
}

/**
 * What the live bot settles from now on, a poll at a time, until the signal: events whose
 * deliveries are all settled (so what the live version sent is on record), in timestamp order;
 * a poll stops at the first event still open, so each chat's order holds.
 */
function* newEvents(
  follow: Following,
  seen: Set<string>,
  from: number | undefined,
): Generator<Promise<Fixture>> {
  let since = from ?? follow.query.since;
  while (!follow.signal?.aborted) {
    yield (async () => {
      await pause(follow.pollMs, follow.signal);
      if (follow.signal?.aborted) return fixtureFromHistory([]);
      const query = { ...follow.query, ...(since !== undefined ? { since } : {}) };
      const fresh = (await follow.reader.history(query)).filter((e) => !seen.has(e.event.id));
      const ready = settledPrefix(fresh);
      for (const entry of ready) seen.add(entry.event.id);
      since = ready.at(-1)?.event.timestamp ?? since;
      return fixtureFromHistory(ready);
    })();
  }
}

/** The entries up to the first event still open: settled ones only, each chat's order kept. */
function settledPrefix(entries: HistoryEntry[]): HistoryEntry[] {
  const open = entries.findIndex((entry) => entry.event.status !== "done");
  return open < 0 ? entries : entries.slice(0, open);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function bar(done: number, total: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`;
}
