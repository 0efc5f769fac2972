/**
 * The runtime adapter for Deno: SQLite through node:sqlite (Deno has no bun:sqlite) and HTTP
 * through Deno.serve. Loaded only when running on Deno (see mod.ts).
 */
import { withBodyCap } from "./body-cap.ts";
import { openNodeSqlite } from "./node-sqlite.ts";
import type {
  Platform,
  RunningServer,
  ServeOptions,
  StartedWorker,
  WorkerOptions,
} from "./types.ts";

/**
 * The few Deno APIs used here. tsc checks this project with Bun's types, which have no `Deno`
 * global; typing the part we call keeps this file checked instead of excluded.
 */
interface DenoServer {
  readonly addr: { readonly hostname: string; readonly port: number };
  shutdown(): Promise<void>;
}
interface DenoApi {
  serve(options: {
    hostname: string;
    port: number;
    onListen?: (addr: { hostname: string; port: number }) => void;
    handler: (request: Request) => Response | Promise<Response>;
  }): DenoServer;
}
const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

function serve(options: ServeOptions): RunningServer {
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    // Deno prints "Listening on …" by default; the host logs its own line.
    onListen: () => {},
    handler: (request) => withBodyCap(request, options),
  });
  const port = server.addr.port;
  const host = options.hostname === "0.0.0.0" ? "127.0.0.1" : options.hostname;
  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `http://${host}:${port}`,
    // shutdown() stops accepting, lets requests in flight finish, then closes every connection.
    stop: () => {
      stopped ??= server.shutdown();
      return stopped;
    },
  };
}

const PRELUDE = new URL("./deno-worker.ts", import.meta.url).href;

/** Every permission but the environment is the host's own (all of them, under `deno task start`). */
const INHERITED = ["net", "read", "write", "run", "ffi", "sys", "import"] as const;

/**
 * Deno's workers have no smol heap and no unref: a worker holds the process until it is terminated,
 * so the plugin host terminates its idle spare when it stops (WorkerPool.release).
 *
 * Nor have they an environment of their own: the worker may read only the kept variables (its
 * permissions; needs `--unstable-worker-options`, set in deno.json), and its prelude
 * (deno-worker.ts) gives it a copy of them as `process.env` and `Deno.env`.
 */
function startWorker(url: string, options: WorkerOptions): StartedWorker {
  const prelude = new URL(PRELUDE);
  prelude.searchParams.set("entry", url);
  prelude.searchParams.set("env", JSON.stringify(options.env));
  const permissions = {
    env: Object.keys(options.env),
    ...Object.fromEntries(INHERITED.map((name) => [name, "inherit"])),
  };
  // Typed as Bun's options (tsc checks with Bun's types), which have no `deno` field.
  const denoOptions = { type: "module", deno: { permissions } } as globalThis.WorkerOptions;
  const worker = new Worker(prelude.href, denoOptions);
  return { worker, keepAlive: () => {} };
}

export const platform: Platform = {
  name: "deno",
  openSqlite: openNodeSqlite,
  serve,
  startWorker,
};
