/**
 * `bun run bench [--quick]`: runs the benchmarks and prints one table. Absolute numbers on a
 * shared machine are noise; the result is the ratios measured in the same run.
 *
 * Targets (each its own process, fresh port and data directory per measurement):
 *   hotline   `bun src/main.ts`, built-in plugins, durable inbox, LINE API → a fast fake
 *   baseline  the @line/bot-sdk echo bot on Node.js + Express
 *   limit     Bun.serve that checks the signature and answers 200, nothing else
 */
import { existsSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import {
  type AckSummary,
  ackRows,
  ackThroughput,
  ackVariants,
  type EndToEndSummary,
  endToEnd,
  endToEndRows,
  generatorCheckRow,
  LABELS,
  type PacedSummary,
  paced,
  pacedRows,
  postgresVariants,
  storageNote,
  type Variant,
} from "./compare.ts";
import { fmt, printTable, type Row } from "./stats.ts";
import { pinning } from "./targets.ts";

const quick = process.argv.includes("--quick");
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
const wanted = (name: string) => !only || only.split(",").includes(name);

const plan = quick
  ? { rounds: 1, ackSeconds: 2, warmup: 0.3, e2eEvents: 2_000, e2eRounds: 1, pacedSeconds: 3 }
  : { rounds: 3, ackSeconds: 10, warmup: 2, e2eEvents: 20_000, e2eRounds: 3, pacedSeconds: 10 };

const rows: Row[] = [];
const started = performance.now();
const load = loadavg();
const step = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
  if (!wanted(name)) return undefined;
  const t = performance.now();
  process.stderr.write(`bench: ${name}…\n`);
  try {
    return await run();
  } finally {
    process.stderr.write(
      `bench: ${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    );
  }
};
const progress = (name: string) => (message: string) =>
  process.stderr.write(`bench:   ${name}: ${message}\n`);

// ---------------------------------------------------------------- comparisons

const hotline: Variant = { label: LABELS.hotline, kind: "hotline", options: { storage: "disk" } };
const baseline: Variant = { label: LABELS.baseline, kind: "baseline" };

const ack = await step("ack", () =>
  ackThroughput(ackVariants(!quick), plan.rounds, plan.ackSeconds, plan.warmup, progress("ack")),
);
if (ack) {
  rows.push(...ackRows(ack, plan.rounds, plan.ackSeconds));
  const check = generatorCheckRow(ack);
  if (check) rows.push(check);
}

const e2e = await step("e2e", () =>
  endToEnd(
    [hotline, baseline, ...postgresVariants()],
    plan.e2eRounds,
    plan.e2eEvents,
    progress("e2e"),
    // Quick mode must end within a minute: a server that cannot keep up is not waited for long.
    quick ? 4_000 : undefined,
  ),
);
if (e2e) rows.push(...endToEndRows(e2e, plan.e2eEvents, plan.e2eRounds));

const pacedResults = await step("paced", () =>
  paced(
    quick ? [hotline] : [hotline, baseline, ...postgresVariants()],
    [200, 1000],
    plan.rounds,
    plan.pacedSeconds,
    progress("paced"),
    // Quick mode must end within a minute: a server that cannot keep up is not waited for long.
    quick ? 3_000 : undefined,
  ),
);
if (pacedResults) rows.push(...pacedRows(pacedResults, plan.pacedSeconds, plan.rounds));

// ---------------------------------------------------------------- Deno (bench/deno.ts, optional)

await step("deno", async () => {
  const file = join(import.meta.dir, "deno.ts");
  if (!existsSync(file)) {
    rows.push({
      section: "deno",
      metric: "ack throughput",
      value: "skipped",
      note: "bench/deno.ts not present",
    });
    return;
  }
  try {
    const module = (await import(file)) as {
      denoAckThroughput?: (
        seconds: number,
        options?: { rounds?: number; warmupSeconds?: number; progress?: (m: string) => void },
      ) => Promise<Row[]>;
    };
    if (typeof module.denoAckThroughput !== "function") {
      throw new Error("bench/deno.ts does not export denoAckThroughput");
    }
    rows.push(
      ...(await module.denoAckThroughput(quick ? 0.5 : plan.ackSeconds, {
        rounds: plan.rounds,
        warmupSeconds: quick ? 0.25 : plan.warmup,
        progress: progress("deno"),
      })),
    );
  } catch (error) {
    rows.push({
      section: "deno",
      metric: "ack throughput",
      value: "skipped",
      note: `bench/deno.ts failed: ${(error as Error).message.split("\n")[0]}`,
    });
  }
});

// ---------------------------------------------------------------- hot reload (in-process test bots)

const reload = quick
  ? {
      latency: 3,
      underLoad: [2, 250, 200] as [number, number, number],
      memory: 10,
      isolation: 5_000,
    }
  : {
      latency: 100,
      underLoad: [20, 500, 200] as [number, number, number],
      memory: 1000,
      isolation: 50_000,
    };
await step("reload", async () => {
  // Imported here: it loads the whole runtime in this process (test bots), which the rest avoids.
  const { isolationOverhead, reloadLatency, reloadMemory, reloadUnderLoad } = await import(
    "./reload.ts"
  );
  rows.push(...(await reloadLatency(reload.latency)));
  rows.push(...(await reloadUnderLoad(...reload.underLoad)));
  rows.push(...(await reloadMemory(reload.memory)));
  rows.push(...(await isolationOverhead(reload.isolation)));
});

// ---------------------------------------------------------------- LINE's rules on the send path

await step("line-rules", async () => {
  const { lineRules } = await import("./line-rules.ts");
  rows.push(...(await lineRules(quick)));
});

// ---------------------------------------------------------------- outgoing rate (bench/rate-limit.ts)

await step("rate-limit", async () => {
  const { rateLimit } = await import("./rate-limit.ts");
  rows.push(...(await rateLimit(quick)));
});

// ---------------------------------------------------------------- goals (ratios of the same run)

const find = <T extends { label: string }>(list: T[] | undefined, label: string) =>
  list?.find((s) => s.label === label);
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? a / b : undefined;

function goal(
  metric: string,
  value: number | undefined,
  unit: "×" | " ms",
  target: string,
  met: (v: number) => boolean,
) {
  const measured = value !== undefined && Number.isFinite(value);
  rows.push({
    section: "goals",
    metric,
    value: measured ? `${fmt(value, 2)}${unit}` : "n/a",
    note: `goal ${target}: ${measured ? (met(value) ? "met" : "NOT MET") : "not measured"}`,
  });
}

const ackOf = (label: string) => find<AckSummary>(ack, label)?.requestsPerSecond;
goal(
  "ack throughput: hotline / baseline",
  ratio(ackOf(LABELS.hotline), ackOf(LABELS.baseline)),
  "×",
  "≥ 6×",
  (v) => v >= 6,
);
goal(
  "ack throughput: hotline / limit",
  ratio(ackOf(LABELS.hotline), ackOf(LABELS.limit)),
  "×",
  "≥ 0.5×",
  (v) => v >= 0.5,
);
const fast = find<PacedSummary>(
  pacedResults?.filter((p) => p.rate === 1000),
  LABELS.hotline,
);
goal("paced 1,000 events/s: hotline ack p99", fast?.ackP99, " ms", "≤ 3 ms", (v) => v <= 3);
goal(
  "paced 1,000 events/s: hotline webhook → reply p99",
  fast?.replyP99,
  " ms",
  "≤ 10 ms",
  (v) => v <= 10,
);
const hotE2e = find<EndToEndSummary>(e2e, LABELS.hotline);
const baseE2e = find<EndToEndSummary>(e2e, LABELS.baseline);
goal(
  "end to end: hotline / baseline events/s",
  ratio(hotE2e?.eventsPerSecond, baseE2e?.eventsPerSecond),
  "×",
  "≥ 6×",
  (v) => v >= 6,
);
goal(
  "peak RSS: hotline (5 plugins) / baseline",
  ratio(hotE2e?.memory.peakBytes, baseE2e?.memory.peakBytes),
  "×",
  "< 1×",
  (v) => v < 1,
);

// ---------------------------------------------------------------- print

const cpu = cpus()[0]?.model ?? "?";
console.log(
  `\nhotline benchmarks (${quick ? "quick" : "full"}) — Bun ${Bun.version}, Node ${nodeVersion()}, ` +
    `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ` +
    `load average ${load.map((l) => l.toFixed(2)).join(" ")} at start, ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at end; ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);
console.log(
  `Pinning: ${pinning}. Storage: ${storageNote()}. hotline runs with LOG_LEVEL=warn (production default is info: per-request log lines).\n`,
);
printTable(rows);
process.exit(0);

function nodeVersion(): string {
  const result = Bun.spawnSync(["node", "--version"], { stdout: "pipe", stderr: "ignore" });
  return result.success ? result.stdout.toString().trim().replace(/^v/, "") : "n/a";
}
