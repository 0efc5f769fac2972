import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import type { Clock } from "../core/clock.ts";
import type { PluginManifest } from "./manifest.ts";
import type { HostToWorker, WorkerEnv, WorkerState, WorkerToHost } from "./protocol.ts";
import { answerRpc, type HostServices } from "./rpc-server.ts";
import type { StateServices } from "./state-rpc.ts";
import {
  errorText,
  forwardLog,
  PluginReports,
  type PluginReportsOptions,
  protocolErrorText,
  WorkerMessages,
} from "./worker-messages.ts";
import { type BootedWorker, bootWorker, type WorkerPool } from "./worker-pool.ts";
import { closeSessions, openSessions, type WorkerSessions } from "./worker-sessions.ts";

/** Besides these: what the host counts for the plugin, and serves it (see the two). */
export interface PluginWorkerOptions extends PluginReportsOptions, HostServices {
  moduleUrl: string;
  /** The whole `plugins` section of the config file; the worker picks its plugin's part by name. */
  settings: Record<string, unknown>;
  env: WorkerEnv;
  /** Plugin state and, when the store keeps them, files: a worker reaches them through the host. */
  state: StateServices;
  workerState: WorkerState;
  clock: Clock;
  /** Where the worker comes from: the host's pool, which keeps one booted ahead; else a fresh one. */
  pool?: WorkerPool;
  loadTimeoutMs: number;
  /** How long a plugin whose deadline passed may take to answer a ping before it counts as hung. */
  hangGraceMs: number;
  /** After this long without work `onIdle` is called (0: never). */
  idleMs: number;
  /** Called once, when the loaded worker is terminated (retired, or dead): revokes its grants. */
  onGone?(): void;
}

export class LoadError extends Error {
  override name = "LoadError";
}

/** A worker with its plugin loaded, and what the load opened for it: its `PluginWorker` takes them. */
export interface LoadedWorker {
  worker: Worker;
  manifest: PluginManifest;
  messages: WorkerMessages;
  reports: PluginReports;
  sessions: WorkerSessions;
}

/**
 * Takes a booted worker and loads the plugin in it: the module, its declaration, its state and its
 * setup, within `loadTimeoutMs`. Rejects with a LoadError that says why not, the worker terminated.
 */
export async function loadPlugin(options: PluginWorkerOptions): Promise<LoadedWorker> {
  let booted: BootedWorker;
  try {
    booted = await (options.pool ? options.pool.take() : bootWorker());
  } catch (error) {
    throw new LoadError(`could not start a plugin worker: ${(error as Error).message}`);
  }
  const { worker } = booted;
  const reports = new PluginReports(options);
  const messages = new WorkerMessages({
    logBudget: options.logBudget,
    onLogDropped: (first) => reports.logDropped(first),
  });
  const sessions = openSessions(options.state);
  const { state } = sessions;
  return new Promise((resolve, reject) => {
    const fail = (message: string) => {
      clearTimeout(timer);
      worker.terminate();
      reports.named(basename(fileURLToPath(options.moduleUrl)));
      void closeSessions(sessions);
      reject(new LoadError(message));
    };
    const timer = setTimeout(
      () =>
        fail(
          `loading took longer than ${options.loadTimeoutMs} ms (does the module block or wait at top level?)`,
        ),
      options.loadTimeoutMs,
    );
    const receive = (data: unknown) => {
      let message: WorkerToHost | undefined;
      try {
        message = messages.read(data);
      } catch (error) {
        const reason = protocolErrorText(error);
        reports.protocolError(reason);
        return fail(`protocol error: ${reason}`);
      }
      if (message?.type === "log") return forwardLog(options.log, message);
      if (message?.type === "api-call") return reports.apiCall(message.endpoint, message.status);
      if (message?.type === "rpc") return void answerRpc(worker, message, sessions, options);
      if (message?.type === "load-failed") return fail(message.error);
      if (message?.type === "loaded") {
        if (message.manifest.name !== state.plugin)
          return fail(
            `the worker opened the state of "${state.plugin}", not of "${message.manifest.name}"`,
          );
        clearTimeout(timer);
        reports.named(message.manifest.name);
        resolve({ worker, manifest: message.manifest, messages, reports, sessions });
      }
    };
    worker.onerror = (event) => fail(`worker error while loading: ${errorText(event)}`);
    worker.onmessage = (event: MessageEvent<unknown>) => receive(event.data);
    for (const data of booted.early) receive(data);
    worker.postMessage({
      type: "load",
      moduleUrl: options.moduleUrl,
      settings: options.settings,
      env: options.env,
      state: options.workerState,
      now: options.clock.now(),
      clockFrozen: options.clock.frozen === true,
    } satisfies HostToWorker);
  });
}
