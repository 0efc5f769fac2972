/** The state a plugin keeps through the store, whatever the driver (the SDK's `ctx.kv`). */

/** JSON-serialisable values only: state outlives the plugin version that wrote it. */
export interface KeyValueStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, options?: { ttlMs?: number }): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Keys starting with `prefix`, in byte order of their UTF-8 encoding. */
  list<T = unknown>(prefix?: string): Promise<Array<{ key: string; value: T }>>;
}
