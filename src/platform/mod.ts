import type { Platform } from "./types.ts";

export type {
  Platform,
  RunningServer,
  ServeOptions,
  SqlDatabase,
  SqliteHandle,
  SqliteOpenOptions,
  StartedWorker,
  WorkerOptions,
} from "./types.ts";

/** The one place that tells runtimes apart; each adapter imports its runtime's modules. */
export const platform: Platform = (
  "Bun" in globalThis ? await import("./platform.bun.ts") : await import("./platform.deno.ts")
).platform;
