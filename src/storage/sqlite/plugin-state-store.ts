import type { Clock } from "../../core/clock.ts";
import type { SqliteHandle } from "../../platform/mod.ts";
import { BoundedTransaction, type TransactionConnection } from "../bounded-transaction.ts";
import { createKeyValueStore, type KvStatements } from "../plugin-kv.ts";
import { applyPluginSchema, type SchemaSession } from "../plugin-schema.ts";
import {
  type PluginSchema,
  PluginStateError,
  type PluginStateStore,
  type StateBounds,
  type StateQuery,
  type StateTransaction,
} from "../plugin-state.ts";
import { Semaphore } from "../semaphore.ts";
import { databasePath } from "./database.ts";
import { openStateReader, openStateWriter, pluginStatePath } from "./plugin-state-db.ts";
import { WalSync } from "./wal-sync.ts";

const KV: KvStatements = {
  get: `SELECT value FROM plugin_kv WHERE plugin = ?1 AND key = ?2
        AND (expires_at IS NULL OR expires_at > ?3)`,
  set: `INSERT INTO plugin_kv (plugin, key, value, expires_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT (plugin, key) DO UPDATE SET
          value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
  delete: "DELETE FROM plugin_kv WHERE plugin = ?1 AND key = ?2 RETURNING key",
  list: (bounded) =>
    `SELECT key, value FROM plugin_kv WHERE plugin = ?1 AND key >= ?2
     AND (expires_at IS NULL OR expires_at > ?3) ${bounded ? "AND key < ?4" : ""} ORDER BY key`,
};

/** Statements that only read go to the reader connection; anything else waits for the writer. */
const READ_ONLY = /^\s*select\b/i;

const run = (handle: SqliteHandle, query: StateQuery) =>
  handle.query(query.sql, query.params, query.rows);

/**
 * Plugin state in `plugins.db`, on the host's thread. SQLite has one writer per file: here that
 * is one connection, handed to one holder at a time (a statement, or a transaction for its
 * whole life) in arrival order, each waiting at most the query bound, so no statement ever sleeps
 * on a lock. Reads outside transactions run at once on a second connection (WAL). Commits are
 * durable before anyone hears of them: the WAL is fsynced off the event loop.
 */
export class SqlitePluginState implements PluginStateStore {
  readonly dialect = "sqlite" as const;
  /** One machine: each worker keeps its plugin's files in DATA_DIR, no copy through the host. */
  readonly files = undefined;
  readonly #writer: SqliteHandle;
  readonly #reader: SqliteHandle;
  readonly #wal: WalSync;
  readonly #clock: Clock;
  readonly #bounds: StateBounds;
  readonly #writing = new Semaphore(1);
  readonly #open = new Set<BoundedTransaction>();

  private constructor(parts: {
    writer: SqliteHandle;
    reader: SqliteHandle;
    wal: WalSync;
    clock: Clock;
    bounds: StateBounds;
  }) {
    this.#writer = parts.writer;
    this.#reader = parts.reader;
    this.#wal = parts.wal;
    this.#clock = parts.clock;
    this.#bounds = parts.bounds;
  }

  static open(dataDir: string, clock: Clock, bounds: StateBounds): SqlitePluginState {
    const writer = openStateWriter(dataDir);
    let reader: SqliteHandle | undefined;
    try {
      reader = openStateReader(dataDir, databasePath(dataDir));
      const wal = new WalSync(`${pluginStatePath(dataDir)}-wal`);
      return new SqlitePluginState({ writer, reader, wal, clock, bounds });
    } catch (error) {
      reader?.close();
      writer.close();
      throw error;
    }
  }

  async query(query: StateQuery): Promise<unknown[]> {
    if (READ_ONLY.test(query.sql)) return run(this.#reader, query);
    const rows = await this.#write(() => run(this.#writer, query));
    await this.#wal.flushed();
    return rows;
  }

  async begin(): Promise<StateTransaction> {
    const release = await this.#acquireWriter();
    try {
      this.#writer.exec("BEGIN IMMEDIATE");
    } catch (error) {
      release();
      throw error;
    }
    const writer = this.#writer;
    const wal = this.#wal;
    const connection: TransactionConnection = {
      run: async (query) => run(writer, query),
      async end(statement) {
        try {
          writer.exec(statement.toUpperCase());
        } catch (error) {
          // A failed COMMIT can leave it open: it must not be handed on like that.
          if (statement === "commit") writer.exec("ROLLBACK");
          throw error;
        } finally {
          // The next writer may go while this commit is flushed to disk.
          release();
        }
        if (statement === "commit") await wal.flushed();
      },
      kv: (query, plugin) => createKeyValueStore(query, KV, plugin, () => this.#clock.now()),
    };
    const transaction = new BoundedTransaction(
      connection,
      this.#bounds.transactionTimeoutMs,
      () => {
        this.#open.delete(transaction);
        release();
      },
    );
    this.#open.add(transaction);
    return transaction;
  }

  async prepare(plugin: string, schema: PluginSchema, now: number): Promise<void> {
    const transaction = await this.begin();
    const writer = this.#writer;
    const session: SchemaSession = {
      dialect: "sqlite",
      async columns(table) {
        const rows = writer.query("SELECT name FROM pragma_table_info(?1)", [table], "arrays");
        return new Set((rows as string[][]).map(([name]) => name as string));
      },
      async exec(script) {
        writer.exec(script);
      },
      async appliedMigrations(name) {
        const rows = writer.query(
          "SELECT id FROM plugin_migrations WHERE plugin = ?1",
          [name],
          "arrays",
        );
        return new Set((rows as string[][]).map(([id]) => id as string));
      },
      async recordMigration(name, id, at) {
        writer.query(
          "INSERT OR IGNORE INTO plugin_migrations (plugin, id, applied_at) VALUES (?1, ?2, ?3)",
          [name, id, at],
          "none",
        );
      },
    };
    try {
      await applyPluginSchema(session, plugin, schema, now);
    } catch (error) {
      await transaction.rollback();
      throw error;
    }
    await transaction.commit();
  }

  kv(plugin: string) {
    return createKeyValueStore(
      (query) => this.query(query),
      KV,
      plugin,
      () => this.#clock.now(),
    );
  }

  async prune(now: number): Promise<number> {
    const rows = await this.query({
      sql: "DELETE FROM plugin_kv WHERE expires_at <= ?1 RETURNING key",
      params: [now],
      rows: "arrays",
    });
    return rows.length;
  }

  async close(): Promise<void> {
    for (const transaction of [...this.#open]) await transaction.rollback();
    await this.#wal.close();
    this.#reader.close();
    this.#writer.close();
  }

  #acquireWriter(): Promise<() => void> {
    const { queryTimeoutMs } = this.#bounds;
    return this.#writing.acquire(
      queryTimeoutMs,
      () =>
        new PluginStateError(
          "busy",
          `plugin state is busy: another write or transaction held it for ${queryTimeoutMs} ms`,
        ),
    );
  }

  async #write<T>(work: () => T): Promise<T> {
    const release = await this.#acquireWriter();
    try {
      return work();
    } finally {
      release();
    }
  }
}
