import { Database, type SQLQueryBindings } from "bun:sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { withBodyCap } from "./body-cap.ts";
import type {
  Platform,
  RunningServer,
  ServeOptions,
  SqliteHandle,
  SqliteOpenOptions,
  StartedWorker,
  WorkerOptions,
} from "./types.ts";

function openSqlite(path: string, options: SqliteOpenOptions = {}): SqliteHandle {
  const client = options.readonly
    ? new Database(path, { readonly: true, strict: true })
    : new Database(path, { create: true, strict: true });
  const db = drizzle({ client });
  return {
    db,
    exec: (sql) => client.run(sql),
    query(sql, params, rows) {
      const statement = client.prepare(sql);
      const values = params as SQLQueryBindings[];
      try {
        if (rows === "none") {
          statement.run(...values);
          return [];
        }
        return rows === "arrays" ? statement.values(...values) : statement.all(...values);
      } finally {
        statement.finalize();
      }
    },
    migrate: (migrationsFolder) => migrate(db, { migrationsFolder }),
    close: () => client.close(),
  };
}

function serve(options: ServeOptions): RunningServer {
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    // The cap is ours (see withBodyCap): Bun's would refuse a body before any handler sees it.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: (request) => withBodyCap(request, options),
  });
  const port = server.port ?? options.port;
  const host = options.hostname === "0.0.0.0" ? "127.0.0.1" : options.hostname;
  return {
    port,
    url: `http://${host}:${port}`,
    stop: () => server.stop(true),
  };
}

function startWorker(url: string, options: WorkerOptions): StartedWorker {
  // The small heap: there is a worker per plugin, and a plugin rarely needs a large one. Bun gives
  // each worker its own process.env (Bun.env and import.meta.env are the same object).
  const worker = new Worker(url, { type: "module", smol: true, env: { ...options.env } });
  // With the DOM lib loaded, the global Worker type is the DOM's; Bun's adds ref/unref.
  const bunWorker = worker as unknown as import("bun").Worker;
  return { worker, keepAlive: (alive) => (alive ? bunWorker.ref() : bunWorker.unref()) };
}

export const platform: Platform = { name: "bun", openSqlite, serve, startWorker };
