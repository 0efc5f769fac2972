import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";

/** The synchronous drizzle database every runtime provides (bun:sqlite on Bun). */
export type SqlDatabase = BaseSQLiteDatabase<"sync", unknown>;

/** `readonly`: a reader that cannot write, create, or checkpoint the file (tools beside a live bot). */
export interface SqliteOpenOptions {
  readonly?: boolean;
}

export interface SqliteHandle {
  readonly db: SqlDatabase;
  /** Runs one or more statements without results (pragmas, DDL). */
  exec(sql: string): void;
  /** Runs one statement with positional parameters: its rows as arrays or objects, or none. */
  query(sql: string, params: unknown[], rows: "arrays" | "objects" | "none"): unknown[];
  migrate(migrationsFolder: string): void;
  close(): void;
}

export interface ServeOptions {
  hostname: string;
  port: number;
  /**
   * Bodies over this many bytes get 413, on every route, from our own code on every runtime
   * (`withBodyCap`): Content-Length checked before reading, chunked bodies counted as they stream.
   */
  maxRequestBodySize: number;
  fetch(request: Request): Response | Promise<Response>;
  /** The answer to a body over the cap, when a route has its own (default: a plain 413). */
  tooLarge?(request: Request): Response | undefined;
}

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** How a plugin worker starts. */
export interface WorkerOptions {
  /**
   * The worker's whole environment: inside it, `process.env` (and `Deno.env` on Deno) holds these
   * variables and no others, so the host's credentials never reach plugin code through it.
   */
  env: Readonly<Record<string, string>>;
}

/** A module worker the runtime started, with what it offers to keep it from holding the process. */
export interface StartedWorker {
  readonly worker: Worker;
  /**
   * Whether the worker keeps the process alive. An idle spare must not: Bun unrefs it; Deno has no
   * unref for workers (this does nothing there), so an idle worker must be terminated at shutdown.
   */
  keepAlive(alive: boolean): void;
}

/** What the host needs from the runtime it runs on; everything else is web-standard. */
export interface Platform {
  readonly name: "bun" | "deno";
  openSqlite(path: string, options?: SqliteOpenOptions): SqliteHandle;
  serve(options: ServeOptions): RunningServer;
  /** Starts a module worker (one per plugin version), as lean as the runtime allows. */
  startWorker(url: string, options: WorkerOptions): StartedWorker;
}
