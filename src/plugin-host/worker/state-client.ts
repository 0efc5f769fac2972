/**
 * A plugin's state as its worker sees it: `ctx.db`, `ctx.kv`, `ctx.transaction` and the shared
 * users table, each a call into the host, which holds every connection.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createPluginDatabase, type PluginTransaction } from "../../sdk/database.ts";
import { expired } from "../../storage/bounded-transaction.ts";
import type { KeyValueStore } from "../../storage/plugin-state.ts";
import type { SharedUser, UserProfile } from "../../storage/store.ts";
import type { WorkerState } from "../protocol.ts";
import type { HostRpc } from "./rpc.ts";

function remoteKv(rpc: HostRpc, transaction: number | undefined, channel?: string): KeyValueStore {
  const scope = {
    ...(transaction === undefined ? {} : { transaction }),
    ...(channel === undefined || channel === "default" ? {} : { channel }),
  };
  return {
    get: async <T>(key: string) =>
      (await rpc.call({ method: "kv.get", key, ...scope })) as T | undefined,
    async set(key, value, options = {}) {
      const json = JSON.stringify(value);
      if (json === undefined)
        throw new TypeError(`kv.set("${key}"): value is not JSON-serialisable`);
      // As JSON data: what is stored is what JSON keeps of the value (no class, no method).
      const data: unknown = JSON.parse(json);
      const ttl = options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs };
      await rpc.call({ method: "kv.set", key, value: data, ...ttl, ...scope });
    },
    delete: async (key) => (await rpc.call({ method: "kv.delete", key, ...scope })) as boolean,
    list: async <T>(prefix = "") =>
      (await rpc.call({ method: "kv.list", prefix, ...scope })) as Array<{ key: string; value: T }>,
  };
}

export interface PluginState {
  db: ReturnType<typeof createPluginDatabase>;
  kv: KeyValueStore;
  /** The key-value store of a channel's events (the default channel's is `kv`). */
  kvOf(channel: string): KeyValueStore;
  transaction<T>(work: (tx: PluginTransaction) => Promise<T>): Promise<T>;
  readUser(userId: string): Promise<SharedUser | undefined>;
  saveProfile(userId: string, profile: UserProfile): Promise<void>;
}

/** Statements that only read; anything else needs SQLite's one writer. */
const READ_ONLY = /^\s*select\b/i;

export function createPluginState(rpc: HostRpc, state: WorkerState): PluginState {
  // Which transaction the code running now is inside of, if any (across its awaits).
  const inTransaction = new AsyncLocalStorage<number>();
  const database = (transaction?: number) =>
    createPluginDatabase(state.dialect, async (query) => {
      // ctx.db writing inside ctx.transaction would wait for that transaction itself (SQLite),
      // or write beside it: a mistake, said at once rather than at the bound.
      if (
        transaction === undefined &&
        inTransaction.getStore() !== undefined &&
        !READ_ONLY.test(query.sql)
      )
        throw new Error("ctx.db cannot write inside ctx.transaction: write through its tx");
      const scope = transaction === undefined ? {} : { transaction };
      return (await rpc.call({ method: "db.query", query, ...scope })) as unknown[];
    });
  return {
    db: database(),
    kv: remoteKv(rpc, undefined),
    kvOf: (channel) => remoteKv(rpc, undefined, channel),
    async transaction(work) {
      const id = (await rpc.call({ method: "db.begin" })) as number;
      const tx: PluginTransaction = { ...database(id), kv: remoteKv(rpc, id) };
      // The host rolls it back at its bound; this tells the plugin then, even while it waits.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(expired(state.transactionTimeoutMs)),
          state.transactionTimeoutMs,
        );
      });
      try {
        const result = await Promise.race([inTransaction.run(id, () => work(tx)), bound]);
        await rpc.call({ method: "db.commit", transaction: id });
        return result;
      } catch (error) {
        await rpc.call({ method: "db.rollback", transaction: id }).catch(() => undefined);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    readUser: async (userId) =>
      (await rpc.call({ method: "users.get", userId })) as SharedUser | undefined,
    saveProfile: async (userId, profile) => {
      await rpc.call({ method: "users.saveProfile", userId, profile });
    },
  };
}
