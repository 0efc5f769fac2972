import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";

/** The synchronous drizzle database every runtime provides (bun:sqlite on Bun). */
export type SqlDatabase = BaseSQLiteDatabase<"sync", unknown>;

export interface SqliteHandle {
  readonly db: SqlDatabase;
  /** Runs one or more statements without results (pragmas, DDL). */
  exec(sql: string): void;
  migrate(migrationsFolder: string): void;
  close(): void;
}

export interface ServeOptions {
  hostname: string;
  port: number;
  /** Hard cap enforced by the server itself where the runtime has one (Bun). */
  maxRequestBodySize: number;
  fetch(request: Request): Response | Promise<Response>;
}

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** What the host needs from the runtime it runs on; everything else is web-standard. */
export interface Platform {
  readonly name: "bun" | "deno";
  openSqlite(path: string): SqliteHandle;
  serve(options: ServeOptions): RunningServer;
}
