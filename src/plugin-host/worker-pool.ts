import type { WorkerToHost } from "./protocol.ts";

const ENTRY = new URL("./worker/entry.ts", import.meta.url).href;

/** A worker that has loaded the host's side of the plugin runtime and waits for its plugin. */
export interface BootedWorker {
  worker: Worker;
  /** Logs the worker sent while booting (none, normally). */
  early: WorkerToHost[];
}

function boot(): Promise<BootedWorker> {
  const worker = new Worker(ENTRY, { type: "module", smol: true } as WorkerOptions);
  const early: WorkerToHost[] = [];
  return new Promise((resolve, reject) => {
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || "the plugin worker failed to start"));
    };
    worker.onmessage = (event: MessageEvent<WorkerToHost>) => {
      if (event.data.type === "booted") resolve({ worker, early });
      else early.push(event.data);
    };
  });
}

let spare: Promise<BootedWorker> | undefined;

/**
 * Hands out a booted worker and starts booting the next one. Booting (importing the SDK, zod,
 * drizzle and the LINE client into a fresh isolate) is most of a worker's start-up; with a spare
 * ready, a reload only pays for importing the plugin itself.
 */
export function takeBootedWorker(): Promise<BootedWorker> {
  const taken = spare ?? boot();
  spare = boot();
  // An idle spare must never keep the process alive, nor fail loudly if nobody takes it.
  spare.then(
    ({ worker }) => (worker as Worker & { unref?(): void }).unref?.(),
    () => undefined,
  );
  return taken.then((booted) => {
    (booted.worker as Worker & { ref?(): void }).ref?.();
    return booted;
  });
}

/** Terminates the spare (at shutdown). */
export async function releaseSpareWorker(): Promise<void> {
  const current = spare;
  spare = undefined;
  const booted = await current?.catch(() => undefined);
  booted?.worker.terminate();
}
