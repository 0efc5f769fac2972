import { platform, type StartedWorker } from "../platform/mod.ts";
import { pluginEnvironment } from "./plugin-env.ts";

const ENTRY = new URL("./worker/entry.ts", import.meta.url).href;

type StartWorker = (url: string) => StartedWorker;

/** A worker whose environment is the host's kept variables only (see plugin-env.ts). */
const startPluginWorker: StartWorker = (url) =>
  platform.startWorker(url, { env: pluginEnvironment(process.env) });

/** A worker that has loaded the host's side of the plugin runtime and waits for its plugin. */
export interface BootedWorker {
  worker: Worker;
  /** What the worker sent while booting, unchecked (nothing, normally). */
  early: unknown[];
}

interface Booting {
  started: StartedWorker;
  booted: Promise<BootedWorker>;
}

export interface WorkerPoolOptions {
  /** Starts a worker (default: a plugin worker with the host's kept variables). */
  start?: StartWorker;
  /** A spare not taken for this long is terminated, its memory given back (0: kept). */
  idleMs?: number;
}

/** Boots one worker on its own, no spare kept (for a one-off worker, e.g. a benchmark's). */
export function bootWorker(start: StartWorker = startPluginWorker): Promise<BootedWorker> {
  return boot(start).booted;
}

function boot(start: StartWorker): Booting {
  const started = start(ENTRY);
  const { worker } = started;
  const early: unknown[] = [];
  const booted = new Promise<BootedWorker>((resolve, reject) => {
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || "the plugin worker failed to start"));
    };
    worker.onmessage = (event: MessageEvent<unknown>) => {
      const data = event.data as { type?: unknown } | null;
      if (data?.type === "booted") resolve({ worker, early });
      else early.push(data);
    };
  });
  // Nobody may ever take a spare: its failure must not be reported as unhandled.
  booted.catch(() => undefined);
  return { started, booted };
}

/**
 * Hands out booted workers, keeping one spare booting ahead. Booting (importing the SDK, zod,
 * drizzle and the LINE client into a fresh isolate) is most of a worker's start-up; with a spare
 * ready, a reload only pays for importing the plugin itself. One pool per plugin host: once
 * released (the host stopped) it boots no more spares, so nothing it started outlives the host.
 */
export class WorkerPool {
  readonly #start: StartWorker;
  readonly #idleMs: number;
  #spare: Booting | undefined;
  #spareTimer: ReturnType<typeof setTimeout> | undefined;
  #released = false;

  constructor(options: WorkerPoolOptions = {}) {
    this.#start = options.start ?? startPluginWorker;
    this.#idleMs = options.idleMs ?? 0;
  }

  take(): Promise<BootedWorker> {
    const taken = this.#spare ?? boot(this.#start);
    this.#spare = undefined;
    clearTimeout(this.#spareTimer);
    // Work taken after release (a restart racing the host's stop) gets its worker, but no spare
    // is left behind that nobody would terminate.
    if (!this.#released) this.#bootSpare();
    taken.started.keepAlive(true);
    return taken.booted;
  }

  /** Terminates the spare and boots no more (at shutdown). */
  async release(): Promise<void> {
    this.#released = true;
    await this.#dropSpare();
  }

  #bootSpare(): void {
    const spare = boot(this.#start);
    this.#spare = spare;
    // An idle spare must never keep the process alive.
    spare.started.keepAlive(false);
    if (this.#idleMs === 0) return;
    this.#spareTimer = setTimeout(() => void this.#dropSpare(), this.#idleMs);
    // Nor may its timer (Bun, Node); on Deno release() clears it.
    (this.#spareTimer as { unref?: () => void }).unref?.();
  }

  async #dropSpare(): Promise<void> {
    clearTimeout(this.#spareTimer);
    const spare = this.#spare;
    this.#spare = undefined;
    // Terminated once it has booted rather than half-way through starting up; it must be
    // terminated either way: Deno has no unref, so a spare left running would hold the process.
    await spare?.booted.catch(() => undefined);
    spare?.started.worker.terminate();
  }
}
