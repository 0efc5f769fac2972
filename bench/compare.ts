/**
 * hotline against the official SDK's Express echo bot (the baseline), a bare signature-checking
 * Bun.serve (the limit) and a durable stub on the same stack (the ceiling: a SQLite inbox made
 * durable before the ack, one in-process echo handler): ack throughput and how many replies kept
 * pace with the acks, end to end, paced latency, durability cost, memory. Every measurement starts
 * a fresh server (and data directory); rounds are interleaved with the order alternated, and each
 * figure is the median of its rounds.
 */
import type { LoadConfig, LoadResult } from "./load.ts";
import { fmt, median, mib, type Row } from "./stats.ts";
import {
  benchDatabaseUrl,
  diskRoot,
  fsTypeOf,
  type Memory,
  memoryOf,
  pinned,
  ROOT,
  SECRET,
  startTarget,
  type Target,
  type TargetKind,
  type TargetOptions,
  tmpfsRoot,
} from "./targets.ts";

export interface Variant {
  label: string;
  kind: TargetKind;
  options?: TargetOptions;
}

type LoadRequest = Omit<LoadConfig, "url" | "secret" | "connections"> & { connections?: number };

/** Runs the load generator (its own process, on the other core) against a target. */
export async function runLoad(target: Target, request: LoadRequest): Promise<LoadResult> {
  const config: LoadConfig = {
    url: target.webhookUrl,
    secret: SECRET,
    connections: 64,
    fakeLineUrl: target.fakeLineUrl,
    serverPid: target.pid,
    ...request,
  };
  const child = Bun.spawn(pinned(1, [process.execPath, "bench/load.ts", JSON.stringify(config)]), {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "inherit",
  });
  const output = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error(`load generator failed (${config.mode})`);
  const line = output.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as LoadResult;
}

/** `rounds` rounds over the variants, order alternated, each measurement on a fresh server. */
export async function interleaved<T>(
  variants: Variant[],
  rounds: number,
  measure: (target: Target, variant: Variant) => Promise<T>,
  progress: (message: string) => void = () => {},
): Promise<Map<string, T[]>> {
  const results = new Map<string, T[]>(variants.map((v) => [v.label, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      progress(`${variant.label} (round ${round + 1}/${rounds})`);
      const target = await startTarget(variant.kind, variant.options);
      try {
        results.get(variant.label)?.push(await measure(target, variant));
      } finally {
        await target.stop();
      }
    }
  }
  return results;
}

const med = <T>(results: T[], pick: (r: T) => number | undefined) =>
  median(results.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v)));

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
const pct = (n: number) => (Number.isFinite(n) ? `${fmt(n * 100, 0)}%` : "n/a");
const ms = (n: number) => `${fmt(n, n < 10 ? 2 : 1)} ms`;

// ---------------------------------------------------------------- ack throughput

export interface AckSummary {
  label: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  serverCpu: number;
  generatorCpu: number;
  errors: number;
  bodyBytes: number;
  /** Replies the fake LINE API got ÷ acks, same window; undefined for a target that never replies. */
  repliedWhileAcking: number | undefined;
}

export const LABELS = {
  limit: "limit: Bun.serve + HMAC, no storage",
  ceiling: "ceiling: Bun.serve + HMAC + SQLite inbox + echo",
  hotline: "hotline (WAL on disk)",
  hotlineTmpfs: "hotline (WAL on tmpfs)",
  hotlineInfo: "hotline (disk, LOG_LEVEL=info)",
  hotlineNoPlugins: "hotline, no plugins: ingest path alone (disk)",
  baseline: "baseline: Express + @line/bot-sdk",
  hotlinePostgres: "hotline on PostgreSQL (one instance)",
  hotlinePostgresTwo: "hotline on PostgreSQL (two instances, loopback proxy)",
} as const;

/** The PostgreSQL rows, when a server is given (BENCH_DATABASE_URL or TEST_DATABASE_URL). */
export function postgresVariants(): Variant[] {
  if (!benchDatabaseUrl()) return [];
  return [
    { label: LABELS.hotlinePostgres, kind: "hotline", options: { store: "postgres" } },
    {
      label: LABELS.hotlinePostgresTwo,
      kind: "hotline",
      options: { store: "postgres", instances: 2 },
    },
  ];
}

/** The durable stub hotline's goals are set against, on disk like hotline. */
export const CEILING: Variant = {
  label: LABELS.ceiling,
  kind: "ceiling",
  options: { storage: "disk" },
};

/**
 * The four targets; the full run adds hotline on tmpfs (the cost of fsync), without plugins (the
 * ingest path alone) and with per-request logging. Quick mode keeps to the four, to stay short
 * (bench/deno.ts, when present, still shows Bun on tmpfs and on disk).
 */
export function ackVariants(full: boolean): Variant[] {
  const variants: Variant[] = [
    { label: LABELS.limit, kind: "limit" },
    CEILING,
    { label: LABELS.hotline, kind: "hotline", options: { storage: "disk" } },
    { label: LABELS.baseline, kind: "baseline" },
    ...postgresVariants(),
  ];
  if (full && tmpfsRoot()) {
    variants.push({ label: LABELS.hotlineTmpfs, kind: "hotline", options: { storage: "tmpfs" } });
  }
  if (full) {
    variants.push({
      label: LABELS.hotlineNoPlugins,
      kind: "hotline",
      options: { storage: "disk", plugins: false },
    });
    variants.push({
      label: LABELS.hotlineInfo,
      kind: "hotline",
      options: { storage: "disk", logLevel: "info" },
    });
  }
  return variants;
}

/** The limit server answers 200 and nothing else; every other target echoes text messages. */
const replies = (kind: TargetKind) => kind !== "limit";

export async function ackThroughput(
  variants: Variant[],
  rounds: number,
  seconds: number,
  warmupSeconds: number,
  progress?: (message: string) => void,
): Promise<AckSummary[]> {
  const results = await interleaved(
    variants,
    rounds,
    (target) => runLoad(target, { mode: "ack", seconds, warmupSeconds, perBody: 1 }),
    progress,
  );
  return variants.map(({ label, kind }) => {
    const runs = results.get(label) ?? [];
    return {
      label,
      repliedWhileAcking: replies(kind)
        ? med(runs, (r) => (r.repliesInWindow ?? Number.NaN) / (r.requests - r.errors))
        : undefined,
      requestsPerSecond: med(runs, (r) => r.requestsPerSecond),
      p50: med(runs, (r) => r.ackP50Ms),
      p99: med(runs, (r) => r.ackP99Ms),
      serverCpu: med(runs, (r) => r.serverCpu),
      generatorCpu: med(runs, (r) => r.generatorCpu),
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
      bodyBytes: runs[0]?.bodyBytes ?? 0,
    };
  });
}

/** The generator must saturate the limit server, not itself: compare the two processes' CPU. */
export function generatorCheckRow(summaries: AckSummary[]): Row | undefined {
  const limit = summaries.find((s) => s.label === LABELS.limit);
  if (!limit) return undefined;
  const serverBound = limit.serverCpu >= 0.9 && limit.generatorCpu < 0.9;
  return {
    section: "load generator check",
    metric: "against the limit server",
    value: serverBound ? "server-bound" : "NOT PROVEN server-bound",
    note:
      `server ${pct(limit.serverCpu)} of its core, load generator ${pct(limit.generatorCpu)} of its own core, same window` +
      (serverBound
        ? ": the server saturates first"
        : limit.generatorCpu >= 0.9
          ? ": the generator is the bottleneck"
          : ": neither saturated, so other processes took the cores (check `uptime`; rerun on a quiet machine)"),
  };
}

export function ackRows(summaries: AckSummary[], rounds: number, seconds: number): Row[] {
  const bodyBytes = summaries[0]?.bodyBytes ?? 0;
  const limit = summaries.find((s) => s.label === LABELS.limit);
  const baseline = summaries.find((s) => s.label === LABELS.baseline);
  const ceiling = summaries.find((s) => s.label === LABELS.ceiling);
  const times = (s: AckSummary, of: AckSummary | undefined, name: string) =>
    of && s !== of && s !== limit
      ? `${fmt(s.requestsPerSecond / of.requestsPerSecond, 2)}× ${name}`
      : "";
  return summaries.map((s, i) => ({
    section: "ack throughput",
    metric: s.label,
    value: `${int(s.requestsPerSecond)} req/s`,
    note:
      `p50 ${ms(s.p50)}, p99 ${ms(s.p99)}; server CPU ${pct(s.serverCpu)}` +
      (s.label === LABELS.limit ? `, load generator CPU ${pct(s.generatorCpu)}` : "") +
      [times(s, baseline, "baseline"), times(s, ceiling, "ceiling"), times(s, limit, "limit")]
        .filter(Boolean)
        .map((r) => `; ${r}`)
        .join("") +
      (s.errors ? `; ${s.errors} non-200` : "") +
      (i === 0
        ? ` (1 text event of ${bodyBytes} B per body, unique webhookEventId, 64 connections, ${seconds} s after warm-up, median of ${rounds})`
        : ""),
  }));
}

/**
 * Acks are cheap when the work is left for later: the share of them answered by a reply within the
 * same window says whether a target keeps up or builds a backlog while it acks.
 */
export function repliedWhileAckingRows(summaries: AckSummary[]): Row[] {
  return summaries
    .filter((s) => s.repliedWhileAcking !== undefined)
    .map((s, i) => ({
      section: "replied while acking",
      metric: s.label,
      value: pct(s.repliedWhileAcking ?? Number.NaN),
      note:
        i === 0
          ? "replies the fake LINE API received ÷ acks, during the ack-throughput window (1 event per ack)"
          : undefined,
    }));
}

// ---------------------------------------------------------------- end to end

export interface EndToEndSummary {
  label: string;
  eventsPerSecond: number;
  replyP50: number;
  replyP99: number;
  replies: number;
  unreplied: number;
  waitedMs: number | undefined;
  pushes: number;
  duplicates: number;
  memory: Memory;
}

export async function endToEnd(
  variants: Variant[],
  rounds: number,
  events: number,
  progress?: (message: string) => void,
  replyTimeoutMs?: number,
): Promise<EndToEndSummary[]> {
  const results = await interleaved(
    variants,
    rounds,
    async (target) => {
      const result = await runLoad(target, {
        mode: "batch",
        events,
        perBody: 5,
        ...(replyTimeoutMs ? { replyTimeoutMs } : {}),
      });
      return { result, memory: memoryOf(target.pid) };
    },
    progress,
  );
  return variants.map(({ label }) => {
    const runs = results.get(label) ?? [];
    return {
      label,
      eventsPerSecond: med(runs, (r) => r.result.eventsPerSecond),
      replyP50: med(runs, (r) => r.result.replyP50Ms),
      replyP99: med(runs, (r) => r.result.replyP99Ms),
      replies: med(runs, (r) => r.result.replies),
      unreplied: med(runs, (r) => r.result.unreplied),
      waitedMs: replyTimeoutMs,
      pushes: med(runs, (r) => r.result.pushes),
      duplicates: runs.reduce((sum, r) => sum + (r.result.duplicateReplies ?? 0), 0),
      memory: {
        rssBytes: med(runs, (r) => r.memory.rssBytes),
        peakBytes: med(runs, (r) => r.memory.peakBytes),
        processes: med(runs, (r) => r.memory.processes),
      },
    };
  });
}

export function endToEndRows(summaries: EndToEndSummary[], events: number, rounds: number): Row[] {
  const baseline = summaries.find((s) => s.label === LABELS.baseline);
  const ceiling = summaries.find((s) => s.label === LABELS.ceiling);
  const times = (s: EndToEndSummary, of: EndToEndSummary | undefined, name: string) =>
    of && s !== of ? `; ${fmt(s.eventsPerSecond / of.eventsPerSecond, 2)}× ${name}` : "";
  const rows: Row[] = summaries.map((s, i) => ({
    section: "end to end",
    metric: s.label,
    value: `${int(s.eventsPerSecond)} events/s`,
    note:
      `webhook → reply p50 ${ms(s.replyP50)}, p99 ${ms(s.replyP99)}; ${int(s.replies)}/${int(events)} replied` +
      times(s, baseline, "baseline") +
      times(s, ceiling, "ceiling") +
      (s.pushes ? `, ${int(s.pushes)} pushed` : "") +
      (s.unreplied > 0
        ? ` (quick: waited ${fmt((s.waitedMs ?? 0) / 1000, 0)} s after the last ack; events/s over the replies seen, reply latencies of the others count the time waited: lower bounds)`
        : "") +
      (s.duplicates ? `, ${s.duplicates} DUPLICATE replies` : "") +
      (i === 0
        ? ` (${int(events)} echo events in bodies of 5, 64 connections, until the fake LINE API has every reply; median of ${rounds})`
        : ""),
  }));
  for (const s of summaries) {
    rows.push({
      section: "memory",
      metric: s.label,
      value: `${fmt(mib(s.memory.rssBytes), 0)} MiB RSS, ${fmt(mib(s.memory.peakBytes), 0)} MiB peak`,
      note: s.label.startsWith("hotline")
        ? "after the end-to-end run; VmRSS/VmHWM of the process tree (plugin workers are threads: included)"
        : "after the end-to-end run; the whole process",
    });
  }
  return rows;
}

// ---------------------------------------------------------------- paced

export interface PacedSummary {
  label: string;
  rate: number;
  ackP50: number;
  ackP99: number;
  replyP50: number;
  replyP99: number;
  replies: number;
  events: number;
  unreplied: number;
  waitedMs: number | undefined;
}

export async function paced(
  variants: Variant[],
  rates: number[],
  rounds: number,
  seconds: number,
  progress?: (message: string) => void,
  replyTimeoutMs?: number,
): Promise<PacedSummary[]> {
  const out: PacedSummary[] = [];
  for (const rate of rates) {
    const results = await interleaved(
      variants,
      rounds,
      (target) =>
        runLoad(target, {
          mode: "paced",
          rate,
          seconds,
          perBody: 1,
          ...(replyTimeoutMs ? { replyTimeoutMs } : {}),
        }),
      (message) => progress?.(`${rate}/s ${message}`),
    );
    for (const { label } of variants) {
      const runs = results.get(label) ?? [];
      out.push({
        label,
        rate,
        ackP50: med(runs, (r) => r.ackP50Ms),
        ackP99: med(runs, (r) => r.ackP99Ms),
        replyP50: med(runs, (r) => r.replyP50Ms),
        replyP99: med(runs, (r) => r.replyP99Ms),
        replies: med(runs, (r) => r.replies),
        events: med(runs, (r) => r.events),
        unreplied: med(runs, (r) => r.unreplied),
        waitedMs: replyTimeoutMs,
      });
    }
  }
  return out;
}

export function pacedRows(summaries: PacedSummary[], seconds: number, rounds: number): Row[] {
  return summaries.map((s, i) => ({
    section: "paced",
    metric: `${s.label} at ${int(s.rate)} events/s`,
    value: `ack p99 ${ms(s.ackP99)}`,
    note:
      `ack p50 ${ms(s.ackP50)}; webhook → reply p50 ${ms(s.replyP50)}, p99 ${ms(s.replyP99)}; ${int(s.replies)}/${int(s.events)} replied` +
      (s.unreplied > 0
        ? ` (quick: waited ${fmt((s.waitedMs ?? 0) / 1000, 0)} s after the last ack; unreplied events count with the time waited: the reply figures are lower bounds)`
        : "") +
      (i === 0
        ? ` (1 event per body, open loop: latency counted from the scheduled send, ${seconds} s, median of ${rounds})`
        : ""),
  }));
}

export function storageNote(): string {
  const tmpfs = tmpfsRoot();
  return `disk: ${diskRoot()} (${fsTypeOf(ROOT)}); tmpfs: ${tmpfs ? `${tmpfs} (tmpfs)` : "none found"}`;
}
