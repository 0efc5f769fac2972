import { Database } from "bun:sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import type { Platform, RunningServer, ServeOptions, SqliteHandle } from "./types.ts";

function openSqlite(path: string): SqliteHandle {
  const client = new Database(path, { create: true, strict: true });
  const db = drizzle({ client });
  return {
    db,
    exec: (sql) => client.run(sql),
    migrate: (migrationsFolder) => migrate(db, { migrationsFolder }),
    close: () => client.close(),
  };
}

function serve(options: ServeOptions): RunningServer {
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    maxRequestBodySize: options.maxRequestBodySize,
    fetch: options.fetch,
  });
  const port = server.port ?? options.port;
  const host = options.hostname === "0.0.0.0" ? "127.0.0.1" : options.hostname;
  return {
    port,
    url: `http://${host}:${port}`,
    stop: () => server.stop(true),
  };
}

export const platform: Platform = { name: "bun", openSqlite, serve };
