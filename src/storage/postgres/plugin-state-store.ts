import postgres from "postgres";
import type { Clock } from "../../core/clock.ts";
import { BoundedTransaction, type TransactionConnection } from "../bounded-transaction.ts";
import { ABANDONED_AFTER_MS } from "../plugin-files.ts";
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
import {
  type PostgresTarget,
  postgresTarget,
  type Sql,
  StoreUnavailableError,
} from "./connection.ts";
import { PostgresPluginFiles, pluginFileTables } from "./plugin-files-store.ts";
import { sharedTablesForPlugins } from "./plugin-schema-setup.ts";

/** Connections of the plugin state's own pool; one is always left for statements outside transactions. */
const POOL_SIZE = 8;

const kvStatements = (schema: string): KvStatements => {
  const kv = `"${schema}".plugin_kv`;
  return {
    get: `select value from ${kv} where plugin = $1 and channel = 'default' and key = $2
          and (expires_at is null or expires_at > $3)`,
    set: `insert into ${kv} (plugin, channel, key, value, expires_at, updated_at)
          values ($1, 'default', $2, $3, $4, $5)
          on conflict (plugin, channel, key) do update set
            value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
    delete: `delete from ${kv} where plugin = $1 and channel = 'default' and key = $2 returning key`,
    list: (bounded) =>
      `select key, value from ${kv} where plugin = $1 and channel = 'default' and key >= $2
       and (expires_at is null or expires_at > $3) ${bounded ? "and key < $4" : ""} order by key`,
  };
};

type Connection = Pick<postgres.Sql, "unsafe">;

/** Rows as plain arrays or objects: the client's result carries more, which cannot cross to a worker. */
async function run(connection: Connection, query: StateQuery): Promise<unknown[]> {
  const pending = connection.unsafe(query.sql, query.params as postgres.ParameterOrJSON<never>[]);
  if (query.rows === "arrays") return [...(await pending.values())];
  const rows = await pending;
  return query.rows === "objects" ? rows.map((row) => ({ ...row })) : [];
}

/**
 * Plugin state on PostgreSQL: plugin tables and plugins' files in a schema of their own
 * (`<schema>_plugins`, where the host's shared tables are read-only views), the key-value store
 * and migrations record in the host's schema, all on a pool of connections apart from the store's, so a plugin holding
 * rows locked never holds up the host. Every connection has a statement timeout, and one left
 * idle in a transaction is ended by the server; the host bounds each transaction too.
 */
export class PostgresPluginState implements PluginStateStore {
  readonly dialect = "postgres" as const;
  readonly files: PostgresPluginFiles;
  readonly #sql: Sql;
  readonly #target: PostgresTarget;
  readonly #clock: Clock;
  readonly #bounds: StateBounds;
  readonly #kv: KvStatements;
  readonly #transactions = new Semaphore(POOL_SIZE - 1);
  readonly #open = new Set<BoundedTransaction>();

  private constructor(sql: Sql, target: PostgresTarget, clock: Clock, bounds: StateBounds) {
    this.#sql = sql;
    this.#target = target;
    this.#clock = clock;
    this.#bounds = bounds;
    this.#kv = kvStatements(target.schema);
    this.files = new PostgresPluginFiles(sql, pluginSchemaOf(target));
  }

  /**
   * Connects (after the store has migrated the host's schema) and makes the plugins' schema;
   * drops put()s a crashed instance left.
   */
  static async open(
    databaseUrl: string,
    clock: Clock,
    bounds: StateBounds,
  ): Promise<PostgresPluginState> {
    const target = postgresTarget(databaseUrl);
    const schema = pluginSchemaOf(target);
    const sql = postgres(target.url, {
      max: POOL_SIZE,
      onnotice: () => {},
      connect_timeout: 5,
      types: {
        bigint: { to: 20, from: [20], serialize: String, parse: Number },
      },
      connection: {
        search_path: `"${schema}"`,
        application_name: "hotline-plugins",
        statement_timeout: bounds.queryTimeoutMs,
        // The host rolls a transaction back at its bound; the server does if the host cannot.
        idle_in_transaction_session_timeout: bounds.transactionTimeoutMs + 5000,
      },
    }) as unknown as Sql;
    passDriverValuesThrough(sql);
    const state = new PostgresPluginState(sql, target, clock, bounds);
    try {
      await sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${SETUP_LOCK}::bigint)`;
        await tx.unsafe(sharedTablesForPlugins(target.schema, schema));
        await tx.unsafe(pluginFileTables(schema));
      });
      // put()s a crashed instance left are dropped by the next one to start (and hourly).
      await state.files.pruneUploads(clock.now() - ABANDONED_AFTER_MS);
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      throw new StoreUnavailableError(
        `cannot prepare the plugins' schema "${schema}" at DATABASE_URL (${target.shown}): ${(error as Error).message}`,
      );
    }
    return state;
  }

  query(query: StateQuery): Promise<unknown[]> {
    return run(this.#sql, query);
  }

  async begin(): Promise<StateTransaction> {
    const { queryTimeoutMs, transactionTimeoutMs } = this.#bounds;
    const release = await this.#transactions.acquire(
      queryTimeoutMs,
      () =>
        new PluginStateError(
          "busy",
          `plugin state is busy: no connection for a transaction within ${queryTimeoutMs} ms`,
        ),
    );
    let reserved: postgres.ReservedSql | undefined;
    try {
      reserved = await this.#sql.reserve();
      await reserved.unsafe("begin");
    } catch (error) {
      reserved?.release();
      release();
      throw error;
    }
    const session = reserved;
    const connection: TransactionConnection = {
      run: (query) => run(session, query),
      async end(statement) {
        try {
          await session.unsafe(statement);
        } finally {
          session.release();
          release();
        }
      },
      kv: (query, plugin) => createKeyValueStore(query, this.#kv, plugin, () => this.#clock.now()),
    };
    const transaction = new BoundedTransaction(connection, transactionTimeoutMs, () =>
      this.#open.delete(transaction),
    );
    this.#open.add(transaction);
    return transaction;
  }

  async prepare(plugin: string, schema: PluginSchema, now: number): Promise<void> {
    const transaction = await this.begin();
    const host = this.#target.schema;
    const pluginSchema = pluginSchemaOf(this.#target);
    const query = (sql: string, params: unknown[]) =>
      transaction.query({ sql, params, rows: "arrays" }) as Promise<string[][]>;
    const session: SchemaSession = {
      dialect: "postgres",
      async columns(table) {
        const rows = await query(
          "select column_name from information_schema.columns where table_schema = $1 and table_name = $2",
          [pluginSchema, table],
        );
        return new Set(rows.map(([name]) => name as string));
      },
      async exec(script) {
        await transaction.query({ sql: script, params: [], rows: "none" });
      },
      async appliedMigrations(name) {
        const rows = await query(`select id from "${host}".plugin_migrations where plugin = $1`, [
          name,
        ]);
        return new Set(rows.map(([id]) => id as string));
      },
      async recordMigration(name, id, at) {
        await query(
          `insert into "${host}".plugin_migrations (plugin, id, applied_at) values ($1, $2, $3)
           on conflict do nothing`,
          [name, id, at],
        );
      },
    };
    try {
      // Instances loading the same plugin together take turns; the later ones find it done.
      await query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [
        `hotline plugin tables ${pluginSchema} ${plugin}`,
      ]);
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
      this.#kv,
      plugin,
      () => this.#clock.now(),
    );
  }

  async prune(now: number): Promise<number> {
    const rows = await this.query({
      sql: `delete from "${this.#target.schema}".plugin_kv where expires_at <= $1 returning key`,
      params: [now],
      rows: "arrays",
    });
    return rows.length;
  }

  async close(): Promise<void> {
    for (const transaction of [...this.#open]) await transaction.rollback().catch(() => undefined);
    await this.#sql.end({ timeout: 5 });
  }
}

/** Arbitrary, fixed: instances starting together set the plugins' schema up one at a time. */
const SETUP_LOCK = "7523094288207667810";

/** `<schema>_plugins`: within PostgreSQL's 63 bytes, or the start stops saying so. */
export function pluginSchemaOf(target: PostgresTarget): string {
  const schema = `${target.schema}_plugins`;
  if (schema.length > 63)
    throw new StoreUnavailableError(
      `DATABASE_URL: schema "${target.schema}" is too long for its plugins' schema "${schema}" (at most 55 characters)`,
    );
  return schema;
}

/**
 * drizzle serialises JSON and dates itself and parses dates itself: the client must pass those
 * through untouched, as drizzle's own postgres-js driver sets it up (a JSON value would otherwise
 * be encoded twice).
 */
function passDriverValuesThrough(sql: Sql): void {
  const options = (
    sql as unknown as {
      options: { parsers: Record<string, unknown>; serializers: Record<string, unknown> };
    }
  ).options;
  const same = (value: unknown) => value;
  for (const type of ["1184", "1082", "1083", "1114", "1182", "1185", "1115", "1231"]) {
    options.parsers[type] = same;
    options.serializers[type] = same;
  }
  options.serializers["114"] = same;
  options.serializers["3802"] = same;
}
