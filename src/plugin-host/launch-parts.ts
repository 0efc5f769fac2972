import type { LineAccess } from "../line/proxy.ts";
import type { PluginWorker } from "./plugin-worker.ts";
import type { WorkerEnv } from "./protocol.ts";

/** A worker's way to LINE: its own, through the host's proxy. */
export type LineEnv = Pick<WorkerEnv, "apiBaseUrl" | "dataApiBaseUrl" | "lineCapability">;

/** A fresh worker of a version already serving: its menus are synced, its declaration unused. */
export function menusSynced(worker: PluginWorker): PluginWorker {
  worker.richMenus.take();
  return worker;
}

export function lineEnv(access: LineAccess): LineEnv {
  return {
    apiBaseUrl: access.apiBaseUrl,
    dataApiBaseUrl: access.dataApiBaseUrl,
    lineCapability: access.capability,
  };
}
