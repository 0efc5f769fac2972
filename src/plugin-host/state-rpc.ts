import type { KeyValueStore, PluginStateStore, StateTransaction } from "../storage/plugin-state.ts";
import type { Store } from "../storage/store.ts";
import { PLUGIN_NAME } from "./manifest.ts";
import type { RpcCall } from "./protocol.ts";

/** What plugin state is served from: the plugins' store, and the host's shared users table. */
export interface StateServices {
  plugins: PluginStateStore;
  users: Pick<Store, "readUser" | "saveProfile">;
  now(): number;
}

export type StateCall = Exclude<
  RpcCall,
  { method: "reply" | "push" | "postback.key" | `files.${string}` | `richMenu${string}` }
>;

export function isStateCall(call: RpcCall): call is StateCall {
  const { method } = call;
  if (method.startsWith("files.") || method.startsWith("richMenu")) return false;
  return !["reply", "push", "postback.key"].includes(method);
}

/**
 * One worker's access to plugin state: bound to its plugin's name at `state.open`, holding the
 * transactions it began, which are rolled back when the worker goes (it died, or was retired).
 */
export class StateSession {
  readonly #services: StateServices;
  #plugin: string | undefined;
  readonly #transactions = new Map<number, StateTransaction>();
  #nextTransaction = 1;
  #closed = false;

  constructor(services: StateServices) {
    this.#services = services;
  }

  /** The plugin this worker opened its state as. */
  get plugin(): string | undefined {
    return this.#plugin;
  }

  async call(call: StateCall): Promise<unknown> {
    if (this.#closed) throw new Error("the plugin's worker has stopped");
    const { plugins, users } = this.#services;
    switch (call.method) {
      case "state.open":
        return this.#open(call.plugin, call);
      case "db.query":
        this.#opened();
        return call.transaction === undefined
          ? plugins.query(call.query)
          : this.#transaction(call.transaction).query(call.query);
      case "db.begin":
        return this.#begin();
      case "db.commit":
      case "db.rollback":
        return this.#end(call.transaction, call.method === "db.commit");
      case "kv.get":
        return this.#kv(call.transaction, call.channel).get(call.key);
      case "kv.set":
        return this.#kv(call.transaction, call.channel).set(
          call.key,
          call.value,
          call.ttlMs === undefined ? {} : { ttlMs: call.ttlMs },
        );
      case "kv.delete":
        return this.#kv(call.transaction, call.channel).delete(call.key);
      case "kv.list":
        return this.#kv(call.transaction, call.channel).list(call.prefix);
      case "users.get":
        return users.readUser(call.userId);
      case "users.saveProfile":
        return users.saveProfile(call.userId, call.profile, this.#services.now());
    }
  }

  /** Rolls back what the worker left open; later calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const open = [...this.#transactions.values()];
    this.#transactions.clear();
    await Promise.all(open.map((transaction) => transaction.rollback().catch(() => undefined)));
  }

  async #open(plugin: string, call: Extract<StateCall, { method: "state.open" }>): Promise<void> {
    if (this.#plugin !== undefined) throw new Error("the plugin's state is open already");
    if (!PLUGIN_NAME.test(plugin)) throw new Error(`"${plugin}" is not a plugin name`);
    const { schema } = call;
    // Most plugins keep no tables: no transaction then (it waits for the one writer, and every
    // worker start, a reload or a parked plugin's next event, would pay for it).
    const declares =
      schema.tables.length > 0 ||
      schema.migrations.length > 0 ||
      Object.keys(schema.renames).length > 0;
    if (declares) await this.#services.plugins.prepare(plugin, schema, this.#services.now());
    this.#plugin = plugin;
  }

  #opened(): string {
    if (this.#plugin === undefined) throw new Error("the plugin's state is not open yet");
    return this.#plugin;
  }

  async #begin(): Promise<number> {
    this.#opened();
    const transaction = await this.#services.plugins.begin();
    if (this.#closed) {
      await transaction.rollback();
      throw new Error("the plugin's worker has stopped");
    }
    const id = this.#nextTransaction++;
    this.#transactions.set(id, transaction);
    return id;
  }

  async #end(id: number, commit: boolean): Promise<void> {
    const transaction = this.#transaction(id);
    this.#transactions.delete(id);
    await (commit ? transaction.commit() : transaction.rollback());
  }

  #transaction(id: number): StateTransaction {
    const transaction = this.#transactions.get(id);
    if (!transaction) throw new Error(`no transaction ${id}: it has ended`);
    return transaction;
  }

  /**
   * Another channel's entries are the plugin's under `<plugin>@<channel>`: a name no plugin can
   * have (plugin names are kebab-case), so they never meet the default channel's, nor another's.
   */
  #kv(transaction: number | undefined, channel: string | undefined): KeyValueStore {
    const opened = this.#opened();
    const plugin = channel === undefined || channel === "default" ? opened : `${opened}@${channel}`;
    return transaction === undefined
      ? this.#services.plugins.kv(plugin)
      : this.#transaction(transaction).kv(plugin);
  }
}
