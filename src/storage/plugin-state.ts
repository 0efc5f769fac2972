/**
 * Plugin state, apart from the host's tables: each driver keeps it where the host's own writes
 * never wait behind it (SQLite: `plugins.db` beside `hotline.db`; PostgreSQL: connections and a
 * schema of its own). Plugins reach it only through the host, which bounds every query and every
 * transaction in time; this is the contract between the plugin host and the drivers.
 */
import type { PluginFileStore } from "./plugin-files.ts";

export type Dialect = "sqlite" | "postgres";

/** JSON-serialisable values only: state outlives the plugin version that wrote it. */
export interface KeyValueStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, options?: { ttlMs?: number }): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Keys starting with `prefix`, in byte order of their UTF-8 encoding. */
  list<T = unknown>(prefix?: string): Promise<Array<{ key: string; value: T }>>;
}

/**
 * One statement as drizzle built it, in the dialect of the store: rows as arrays (what drizzle
 * maps to its selected fields), as objects (raw SQL through `execute`), or none.
 */
export interface StateQuery {
  sql: string;
  params: unknown[];
  rows: "arrays" | "objects" | "none";
}

/** A plugin's table as the worker declared it, in the store's dialect (see `plugin-ddl.ts`). */
export interface TableSpec {
  name: string;
  /** `CREATE TABLE` with every column and constraint. */
  create: string;
  /** Each column, with the `ALTER TABLE … ADD COLUMN` that adds it (none: it cannot be added). */
  columns: Array<{ name: string; add?: string | undefined }>;
  indexes: Array<{ name: string; create: string }>;
}

/** A migration in the store's dialect; no `sql` when the plugin gave none for this dialect. */
export interface MigrationSpec {
  id: string;
  sql?: string | undefined;
}

/** What a plugin declares about its tables, as the host needs it at load. */
export interface PluginSchema {
  tables: TableSpec[];
  migrations: MigrationSpec[];
  /** Old name → declared name: tables of an older version, renamed (with their rows) at load. */
  renames: Record<string, string>;
}

/** One transaction on a connection held for it; rolled back when it outlives its bound. */
export interface StateTransaction {
  query(query: StateQuery): Promise<unknown[]>;
  kv(plugin: string): KeyValueStore;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface PluginStateStore {
  readonly dialect: Dialect;
  /**
   * Plugins' files, when the store keeps them (PostgreSQL: every instance reads them); undefined
   * when each worker keeps its plugin's files in `DATA_DIR` itself (SQLite).
   */
  readonly files: PluginFileStore | undefined;
  /**
   * Brings a plugin's tables up to date when it loads (renames, migrations, new tables and
   * columns, indexes), in one transaction. Rejects with a `PluginStateError` saying why not.
   */
  prepare(plugin: string, schema: PluginSchema, now: number): Promise<void>;
  /** One statement on its own (autocommit). */
  query(query: StateQuery): Promise<unknown[]>;
  /** Starts a transaction; rejects when none can be had within the query bound. */
  begin(): Promise<StateTransaction>;
  /** The plugin's key-value store (the shared `plugin_kv` table, scoped to the plugin). */
  kv(plugin: string): KeyValueStore;
  /** Deletes expired key-value entries; resolves with how many. */
  prune(now: number): Promise<number>;
  /** Rolls back open transactions and closes the connections. */
  close(): Promise<void>;
}

/** How long plugin state may hold a connection. */
export interface StateBounds {
  /** A statement's run (PostgreSQL), or its wait for the writer (SQLite). */
  queryTimeoutMs: number;
  /** A transaction's whole life, from begin to commit. */
  transactionTimeoutMs: number;
}

export type PluginStateErrorCode =
  /** The declaration cannot be applied (a name outside the namespace, a migration missing). */
  | "schema"
  /** The transaction outlived its bound and was rolled back. */
  | "expired"
  /** No connection (or the SQLite writer) could be had within the query bound. */
  | "busy"
  /** The transaction has already ended (committed, rolled back). */
  | "ended";

/** Why plugin state refused a request: the plugin gets its message and its name. */
export class PluginStateError extends Error {
  override name = "PluginStateError";
  readonly code: PluginStateErrorCode;

  constructor(code: PluginStateErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Plugin tables are named `<plugin name, - as _>__<table>`: kebab-case names never hold "__", so
 * whatever comes before the first "__" is the owner, and no name reaches another plugin's table.
 */
export function tablePrefix(plugin: string): string {
  return `${plugin.replaceAll("-", "_")}__`;
}

/** The last code point of every string with `prefix`, plus one: see `keyRange`. */
function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const last = (points.pop() as string).codePointAt(0) as number;
    if (last === 0x10ffff) continue;
    // The next code point that is a scalar value: surrogates cannot be stored as UTF-8.
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return points.join("") + String.fromCodePoint(next);
  }
  return undefined;
}

/**
 * The keys starting with `prefix` are exactly those in [start, end): both stores compare keys by
 * their UTF-8 bytes (SQLite's TEXT, PostgreSQL's `COLLATE "C"`), which order as code points do, so
 * case and the characters LIKE treats as wildcards (`_`, `%`, `\`) count as themselves, and the
 * range is a seek on the primary key. No end when no string is above them all (an empty prefix,
 * or one of U+10FFFF only).
 */
export function keyRange(prefix: string): { start: string; end: string | undefined } {
  return { start: prefix, end: prefixEnd(prefix) };
}
