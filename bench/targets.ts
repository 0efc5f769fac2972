/**
 * The servers under test, each started as its own process on a fresh port and data directory:
 *
 * - hotline:  `bun src/main.ts` (the `bun run start` entry) with the built-in plugins, the durable
 *             inbox, LINE credentials set and the LINE API pointed at the fake.
 * - baseline: the @line/bot-sdk echo bot on Node.js + Express (bench/baselines/express-echo.mjs).
 * - limit:    a bare Bun.serve that verifies the signature and answers 200 (bench/baselines/limit.ts).
 * - ceiling:  the best a durable design could do on this stack: Bun.serve, the signature, a
 *             bun:sqlite inbox made durable before the ack, one in-process echo handler
 *             (bench/baselines/ceiling.ts), on disk like hotline and with the LINE API at the fake.
 *
 * Where `taskset` exists the server runs on core 0; the load generator and the fake LINE API share
 * core 1, so the server under test has a core to itself.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";

/** account-link needs a sign-in page to load: the demo one, as local mode has it. */
export const BENCH_CONFIG = JSON.stringify({ plugins: { "account-link": { demo: true } } });

export const ROOT = resolve(import.meta.dir, "..");
export const SECRET = "bench-channel-secret-0123456789ab";
export const TOKEN = "bench-channel-access-token";
const BUN = process.execPath;

export type TargetKind = "hotline" | "baseline" | "limit" | "ceiling";

export interface TargetOptions {
  /** hotline and ceiling: where the data directory goes ("disk": under .tmp/, "tmpfs": /dev/shm). */
  storage?: "disk" | "tmpfs";
  /** hotline only (default "warn"). */
  logLevel?: string;
  /** hotline only: false runs it with an empty plugins directory (the ingest path alone). */
  plugins?: boolean;
  /** hotline only: the store on PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL), a fresh schema. */
  store?: "sqlite" | "postgres";
  /** hotline only, with PostgreSQL: instances behind a round-robin proxy on loopback. */
  instances?: 1 | 2;
}

/** The PostgreSQL the PostgreSQL variants run against, with a schema of their own. */
export function benchDatabaseUrl(): string | undefined {
  const base = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!base) return undefined;
  const url = new URL(base);
  url.searchParams.set("schema", `bench_${process.pid}_${Date.now().toString(36)}`);
  return url.toString();
}

export interface Target {
  kind: TargetKind;
  pid: number;
  webhookUrl: string;
  fakeLineUrl: string;
  stop(): Promise<void>;
}

const TMPFS_MAGIC = 0x01021994;

/** A tmpfs directory for "no fsync cost" runs, when the machine has one. */
export function tmpfsRoot(): string | undefined {
  for (const dir of ["/dev/shm", "/run/shm"]) {
    try {
      if (existsSync(dir) && statfsSync(dir).type === TMPFS_MAGIC) return dir;
    } catch {
      // not there
    }
  }
  return undefined;
}

export function fsTypeOf(dir: string): string {
  try {
    const type = statfsSync(dir).type;
    const names: Record<number, string> = {
      [TMPFS_MAGIC]: "tmpfs",
      61267: "ext4",
      1481003842: "xfs",
      2435016766: "btrfs",
      2035054128: "overlayfs",
    };
    return names[type] ?? `0x${type.toString(16)}`;
  } catch {
    return "unknown";
  }
}

export const diskRoot = () => join(ROOT, ".tmp");

/** Pinning: server on core 0, load generator and fake LINE API on core 1. */
const canPin = (() => {
  if (cpus().length < 2) return false;
  return Bun.spawnSync(["taskset", "-c", "0", "true"], { stdout: "ignore", stderr: "ignore" })
    .success;
})();

export const pinning = canPin
  ? "server on core 0; load generator and fake LINE API on core 1 (taskset)"
  : "not pinned (no taskset or one core)";

export function pinned(core: 0 | 1, command: string[]): string[] {
  return canPin ? ["taskset", "-c", String(core), ...command] : command;
}

type Child = ReturnType<typeof Bun.spawn>;

/** Spawns a process that prints one JSON line with its port; resolves with that port. */
async function spawnWithPort(
  command: string[],
  env: Record<string, string>,
): Promise<{ child: Child; port: number }> {
  const child = Bun.spawn(command, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const line = text.split("\n").find((l) => l.startsWith("{"));
    if (line) {
      // Keep draining stdout so the child never blocks on a full pipe.
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })();
      return { child, port: (JSON.parse(line) as { port: number }).port };
    }
  }
  child.kill("SIGKILL");
  throw new Error(`${command.join(" ")} did not report its port: ${text}`);
}

export async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

export async function waitUntilReady(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(50);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL: a server left with a backlog would otherwise drain it first. */
export async function stopChild(child: Child, graceMs = 200): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(graceMs)]);
  if (exited !== true) child.kill("SIGKILL");
  await child.exited;
}

let dirs = 0;

/** An empty data directory of its own for one measurement, on disk unless tmpfs is asked for. */
function freshDataDir(name: string, storage: TargetOptions["storage"]): string {
  const root = storage === "tmpfs" ? (tmpfsRoot() ?? diskRoot()) : diskRoot();
  const dir = join(root, `${name}-bench-${process.pid}-${++dirs}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function startTarget(kind: TargetKind, options: TargetOptions = {}): Promise<Target> {
  const fake = await spawnWithPort(pinned(1, [BUN, "bench/fake-line.ts"]), {});
  const fakeLineUrl = `http://127.0.0.1:${fake.port}`;
  let child: Child;
  let webhookUrl: string;
  let dataDir: string | undefined;
  let configDir: string | undefined;
  const extra: Child[] = [];
  const cleanUp = () => {
    for (const dir of [dataDir, configDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (kind === "hotline") {
      dataDir = freshDataDir("hotline", options.storage);
      // The config file's folder is watched: inside DATA_DIR every WAL write would wake the watcher.
      configDir = `${dataDir}-config`;
      mkdirSync(join(configDir, "no-plugins"), { recursive: true });
      // The built-in plugins as shipped; account-link's demo page stands in for a provider.
      writeFileSync(join(configDir, "hotline.config.json"), BENCH_CONFIG);
      const databaseUrl = options.store === "postgres" ? benchDatabaseUrl() : undefined;
      if (options.store === "postgres" && !databaseUrl)
        throw new Error("set BENCH_DATABASE_URL (or TEST_DATABASE_URL) for the PostgreSQL rows");
      const port = await freePort();
      child = Bun.spawn(pinned(0, [BUN, "src/main.ts"]), {
        cwd: ROOT,
        env: {
          ...process.env,
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
          PORT: String(port),
          HOST: "127.0.0.1",
          DATA_DIR: dataDir,
          PLUGINS_DIR: options.plugins === false ? join(configDir, "no-plugins") : "plugins",
          CONFIG_FILE: join(configDir, "hotline.config.json"),
          LINE_CHANNEL_SECRET: SECRET,
          LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
          LINE_API_BASE_URL: fakeLineUrl,
          LINE_DATA_API_BASE_URL: fakeLineUrl,
          LOG_LEVEL: options.logLevel ?? "warn",
        },
        // Production logs go to stdout; here they go to /dev/null (formatting is still paid).
        stdout: "ignore",
        stderr: Bun.file(join(configDir, "stderr.log")),
      });
      webhookUrl = `http://127.0.0.1:${port}/webhook`;
      try {
        await waitUntilReady(`http://127.0.0.1:${port}/readyz`, child);
      } catch (error) {
        child.kill("SIGKILL");
        const stderr = readFileSync(join(configDir, "stderr.log"), "utf8").trim().split("\n");
        throw new Error(
          `hotline did not start (${(error as Error).message}): ${stderr.slice(-5).join(" | ")}`,
        );
      }
      if (options.instances === 2 && databaseUrl) {
        const second = await startSecondInstance(port, databaseUrl, configDir, fakeLineUrl);
        extra.push(...second.children);
        webhookUrl = second.webhookUrl;
      }
    } else if (kind === "baseline") {
      const started = await spawnWithPort(pinned(0, ["node", "bench/baselines/express-echo.mjs"]), {
        PORT: "0",
        CHANNEL_SECRET: SECRET,
        CHANNEL_ACCESS_TOKEN: TOKEN,
        LINE_API_BASE_URL: fakeLineUrl,
      });
      child = started.child;
      webhookUrl = `http://127.0.0.1:${started.port}/webhook`;
    } else if (kind === "ceiling") {
      dataDir = freshDataDir("ceiling", options.storage);
      const started = await spawnWithPort(pinned(0, [BUN, "bench/baselines/ceiling.ts"]), {
        PORT: "0",
        DATA_DIR: dataDir,
        LINE_CHANNEL_SECRET: SECRET,
        LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
        LINE_API_BASE_URL: fakeLineUrl,
      });
      child = started.child;
      webhookUrl = `http://127.0.0.1:${started.port}/webhook`;
    } else {
      const started = await spawnWithPort(pinned(0, [BUN, "bench/baselines/limit.ts"]), {
        PORT: "0",
        LINE_CHANNEL_SECRET: SECRET,
      });
      child = started.child;
      webhookUrl = `http://127.0.0.1:${started.port}/webhook`;
    }
  } catch (error) {
    for (const other of extra) await stopChild(other);
    await stopChild(fake.child);
    cleanUp();
    throw error;
  }
  const server = child;
  return {
    kind,
    pid: server.pid,
    webhookUrl,
    fakeLineUrl,
    async stop() {
      for (const other of extra) await stopChild(other);
      await stopChild(server);
      await stopChild(fake.child);
      cleanUp();
    },
  };
}

export interface Memory {
  /** Sum over the process and its descendants (threads are included in a process's figures). */
  rssBytes: number;
  /** Sum of each process's own peak (VmHWM). */
  peakBytes: number;
  processes: number;
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop() as number;
    out.push(current);
    try {
      for (const task of readdirSync(`/proc/${current}/task`)) {
        const children = readFileSync(`/proc/${current}/task/${task}/children`, "utf8").trim();
        if (children) stack.push(...children.split(" ").map(Number));
      }
    } catch {
      // gone
    }
  }
  return out;
}

/** VmRSS and VmHWM of a process tree, from /proc. */
export function memoryOf(pid: number): Memory {
  let rssBytes = 0;
  let peakBytes = 0;
  const pids = descendants(pid);
  for (const p of pids) {
    try {
      const status = readFileSync(`/proc/${p}/status`, "utf8");
      const kb = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
      rssBytes += kb("VmRSS") * 1024;
      peakBytes += kb("VmHWM") * 1024;
    } catch {
      // gone
    }
  }
  return { rssBytes, peakBytes, processes: pids.length };
}

/**
 * Another instance on the same database (its own data directory for files), pinned to the same
 * core as the first (a 2-core machine has no other to give it), and the proxy in front of both.
 */
async function startSecondInstance(
  firstPort: number,
  databaseUrl: string,
  configDir: string,
  fakeLineUrl: string,
): Promise<{ children: Child[]; webhookUrl: string }> {
  const port = await freePort();
  const dataDir = join(configDir, "second");
  mkdirSync(dataDir, { recursive: true });
  const second = Bun.spawn(pinned(0, [BUN, "src/main.ts"]), {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      PLUGINS_DIR: "plugins",
      CONFIG_FILE: join(configDir, "hotline.config.json"),
      LINE_CHANNEL_SECRET: SECRET,
      LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
      LINE_API_BASE_URL: fakeLineUrl,
      LINE_DATA_API_BASE_URL: fakeLineUrl,
      LOG_LEVEL: "warn",
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  await waitUntilReady(`http://127.0.0.1:${port}/readyz`, second);
  const proxy = await spawnWithPort(pinned(1, [BUN, "bench/baselines/proxy.ts"]), {
    UPSTREAMS: `http://127.0.0.1:${firstPort},http://127.0.0.1:${port}`,
  });
  return { children: [second, proxy.child], webhookUrl: `http://127.0.0.1:${proxy.port}/webhook` };
}
