/**
 * Webhook ack throughput of hotline on Deno next to hotline on Bun, measured in the same run the
 * same way: the same entry point (src/main.ts) with the same built-in plugins, environment, durable
 * inbox on disk and fake LINE API (bench/fake-line.ts), and the same load generator
 * (bench/load.ts through runLoad: its own process, 64 keep-alive connections, pre-signed 1-event
 * bodies with unique webhookEventIds, warm-up then the measured window). Only the runtime that runs
 * src/main.ts differs. Rounds alternate the order (Bun first, then Deno first, …).
 *
 *   import { denoAckThroughput } from "./deno.ts";   rows = await denoAckThroughput(10)
 *   bun bench/deno.ts [seconds=5] [rounds=1]           prints the rows as a table
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runLoad } from "./compare.ts";
import type { LoadResult } from "./load.ts";
import { fmt, median, type Row } from "./stats.ts";
import {
  BENCH_CONFIG,
  diskRoot,
  freePort,
  pinned,
  ROOT,
  SECRET,
  stopChild,
  type Target,
  TOKEN,
  tmpfsRoot,
  waitUntilReady,
} from "./targets.ts";

type Runtime = "bun" | "deno";
type Storage = "disk" | "tmpfs";
type Child = ReturnType<typeof Bun.spawn>;

const DENO = join(ROOT, "node_modules/.bin/deno");
const command: Record<Runtime, string[]> = {
  bun: [process.execPath, "src/main.ts"],
  // What `deno task start` runs (deno.json), without the task runner in between.
  deno: [DENO, "run", "--allow-all", "--no-check", "src/main.ts"],
};

/** Reads the first JSON line a child prints (the fake LINE API's `{"port":…}`), bounded. */
async function firstJsonLine(child: Child, timeoutMs: number): Promise<{ port: number }> {
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the fake LINE API exited before reporting its port: ${text}`);
      text += decoder.decode(value, { stream: true });
      const line = text.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        // Keep draining, so the child never blocks on a full pipe.
        void (async () => {
          while (!(await reader.read()).done);
        })();
        return JSON.parse(line) as { port: number };
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

let dirs = 0;

/** hotline on the given runtime, pinned like bench/targets.ts pins its servers (core 0). */
async function startHotlineOn(runtime: Runtime, storage: Storage): Promise<Target> {
  const fake = Bun.spawn(pinned(1, [process.execPath, "bench/fake-line.ts"]), {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "inherit",
  });
  const fakeLineUrl = `http://127.0.0.1:${(await firstJsonLine(fake, 15_000)).port}`;
  const root = storage === "tmpfs" ? (tmpfsRoot() ?? diskRoot()) : diskRoot();
  const dataDir = join(root, `hotline-bench-deno-${process.pid}-${++dirs}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, "hotline.config.json"), BENCH_CONFIG);
  // Port 0 would need the log to learn the port; a probe listener gives a free one instead.
  const port = await freePort();
  const server = Bun.spawn(pinned(0, command[runtime]), {
    cwd: ROOT,
    env: {
      ...process.env,
      DENO_NO_UPDATE_CHECK: "1",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      PLUGINS_DIR: "plugins",
      CONFIG_FILE: join(dataDir, "hotline.config.json"),
      LINE_CHANNEL_SECRET: SECRET,
      LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
      LINE_API_BASE_URL: fakeLineUrl,
      LINE_DATA_API_BASE_URL: fakeLineUrl,
      LOG_LEVEL: "warn",
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await waitUntilReady(`http://127.0.0.1:${port}/readyz`, server);
  } catch (error) {
    await stopChild(server, 3000);
    await stopChild(fake, 3000);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    kind: "hotline",
    pid: server.pid,
    webhookUrl: `http://127.0.0.1:${port}/webhook`,
    fakeLineUrl,
    async stop() {
      await stopChild(server, 3000);
      await stopChild(fake, 3000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function measure(runtime: Runtime, storage: Storage, seconds: number, warmupSeconds: number) {
  const target = await startHotlineOn(runtime, storage);
  try {
    return await runLoad(target, { mode: "ack", seconds, warmupSeconds, perBody: 1 });
  } finally {
    await target.stop();
  }
}

/**
 * Rows for `bun run bench`: acks/s of hotline on Bun and on Deno, and their ratio, with the
 * database on disk (every acked write waits for a WAL fsync: the disk is measured too) and, where the
 * machine has one, on tmpfs (no fsync cost: the runtimes are measured). Each figure is the median
 * of `rounds` measurements, each on a fresh server and data directory.
 */
export async function denoAckThroughput(
  seconds: number,
  options: { rounds?: number; warmupSeconds?: number; progress?: (message: string) => void } = {},
): Promise<Row[]> {
  const rounds = options.rounds ?? 1;
  const warmupSeconds = options.warmupSeconds ?? Math.min(2, seconds / 2);
  const storages: Storage[] = tmpfsRoot() ? ["tmpfs", "disk"] : ["disk"];
  const rows: Row[] = [];
  for (const storage of storages) {
    const runs: Record<Runtime, LoadResult[]> = { bun: [], deno: [] };
    for (let round = 0; round < rounds; round++) {
      const order: Runtime[] = round % 2 === 0 ? ["bun", "deno"] : ["deno", "bun"];
      for (const runtime of order) {
        options.progress?.(`${storage}, round ${round + 1}/${rounds}: hotline on ${runtime}`);
        runs[runtime].push(await measure(runtime, storage, seconds, warmupSeconds));
      }
    }
    const summary = (runtime: Runtime) => {
      const results = runs[runtime];
      return {
        rps: median(results.map((r) => r.requestsPerSecond)),
        p50: median(results.map((r) => r.ackP50Ms)),
        p99: median(results.map((r) => r.ackP99Ms)),
        cpu: median(results.map((r) => r.serverCpu ?? Number.NaN)),
        errors: results.reduce((sum, r) => sum + r.errors, 0),
        bodyBytes: results[0]?.bodyBytes ?? 0,
      };
    };
    const bun = summary("bun");
    const deno = summary("deno");
    const where = storage === "tmpfs" ? "WAL on tmpfs" : "WAL on disk";
    const row = (runtime: Runtime, s: typeof bun, first: boolean): Row => ({
      section: "deno",
      metric: `webhook acks, hotline on ${runtime === "bun" ? "Bun" : "Deno"} (${where})`,
      value: `${Math.round(s.rps)} req/s`,
      note:
        `p50 ${fmt(s.p50, 2)} ms, p99 ${fmt(s.p99, 2)} ms; server CPU ${fmt(s.cpu * 100, 0)}%` +
        (s.errors ? `; ${s.errors} non-200` : "") +
        (first && rows.length === 0
          ? ` (src/main.ts with the built-in plugins; bench/load.ts, 64 connections, ` +
            `${s.bodyBytes} B bodies, ${seconds} s after warm-up, median of ${rounds})`
          : ""),
    });
    rows.push(row("bun", bun, true), row("deno", deno, false), {
      section: "deno",
      metric: `Deno ÷ Bun, webhook acks/s (${where})`,
      value: `${fmt(deno.rps / bun.rps, 2)}×`,
      note:
        storage === "disk"
          ? "every acked write waits for a WAL fsync: the disk as well as the runtime"
          : "Deno: node:sqlite through drizzle's bun-sqlite session, Deno.serve; Bun: bun:sqlite, Bun.serve",
    });
  }
  return rows;
}

if (import.meta.main) {
  const { printTable } = await import("./stats.ts");
  const seconds = Number(process.argv[2] ?? 5);
  printTable(
    await denoAckThroughput(seconds, {
      rounds: Number(process.argv[3] ?? 1),
      progress: (m) => process.stderr.write(`bench deno: ${m}\n`),
    }),
  );
}
