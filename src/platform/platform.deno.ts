/**
 * The runtime adapter for Deno: SQLite through node:sqlite (Deno has no bun:sqlite) and HTTP
 * through Deno.serve. Loaded only when running on Deno (see mod.ts).
 */
import { withBodyCap } from "./body-cap.ts";
import { openNodeSqlite } from "./node-sqlite.ts";
import type { Platform, RunningServer, ServeOptions, StartedWorker } from "./types.ts";

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

/**
 * Deno's workers have no smol heap and no unref: a worker holds the process until it is terminated,
 * so the plugin host terminates its idle spare when it stops (WorkerPool.release).
 */
function startWorker(url: string): StartedWorker {
  return { worker: new Worker(url, { type: "module" }), keepAlive: () => {} };
}

export const platform: Platform = {
  name: "deno",
  openSqlite: openNodeSqlite,
  serve,
  startWorker,
};
