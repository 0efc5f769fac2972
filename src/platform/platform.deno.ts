/**
 * The runtime adapter for Deno: SQLite through node:sqlite (Deno has no bun:sqlite) and HTTP
 * through Deno.serve. Loaded only when running on Deno (see mod.ts).
 */
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

const tooLarge = () => new Response("Payload Too Large", { status: 413 });

/**
 * Bun's server refuses a body over `maxRequestBodySize` on every route; Deno.serve has no such cap,
 * so it is applied here, for every route alike (plugin routes read whole bodies). A declared
 * Content-Length over the cap gets 413 before the handler runs, as on Bun; with a declared length
 * the HTTP layer delivers no more than that, so the body is passed on untouched (the webhook's fast
 * path). A chunked body is counted as it streams: the chunk that crosses the cap is still handed on,
 * so a handler with its own cap (the webhook's readBody) answers with its own 413, and the next read
 * fails; the answer to a request that went over is 413 whatever the handler made of the error.
 */
async function capped(
  request: Request,
  max: number,
  handler: ServeOptions["fetch"],
): Promise<Response> {
  const declared = request.headers.get("content-length");
  if (declared !== null) return Number(declared) > max ? tooLarge() : handler(request);
  if (!request.body) return handler(request);
  let seen = 0;
  let exceeded = false;
  const body = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (exceeded) {
          controller.error(new Error(`request body exceeds ${max} bytes`));
          return;
        }
        seen += chunk.byteLength;
        exceeded = seen > max;
        controller.enqueue(chunk);
      },
    }),
  );
  const init: RequestInit & { duplex: "half" } = {
    method: request.method,
    headers: request.headers,
    body,
    duplex: "half",
  };
  const response = await handler(new Request(request.url, init));
  return exceeded && response.status !== 413 ? tooLarge() : response;
}

function serve(options: ServeOptions): RunningServer {
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    // Deno prints "Listening on …" by default; the host logs its own line.
    onListen: () => {},
    handler: (request) => capped(request, options.maxRequestBodySize, options.fetch),
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
