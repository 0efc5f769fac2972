import {
  type KeyValueStore,
  PluginStateError,
  type StateQuery,
  type StateTransaction,
} from "./plugin-state.ts";

/** How a driver runs one transaction on the connection it holds for it. */
export interface TransactionConnection {
  run(query: StateQuery): Promise<unknown[]>;
  /** Ends the transaction on the connection (and hands the connection back, also on failure). */
  end(statement: "commit" | "rollback"): Promise<void>;
  kv(run: (query: StateQuery) => Promise<unknown[]>, plugin: string): KeyValueStore;
}

/**
 * A transaction with a bounded life: past `timeoutMs` it is rolled back, whatever its holder is
 * doing, and every later call (a query, the commit) fails saying so. Calls after it ended fail too.
 */
export class BoundedTransaction implements StateTransaction {
  readonly #connection: TransactionConnection;
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #onEnd: () => void;
  #ended: PluginStateError | undefined;
  #ending: Promise<void> | undefined;

  constructor(connection: TransactionConnection, timeoutMs: number, onEnd: () => void) {
    this.#connection = connection;
    this.#onEnd = onEnd;
    this.#timer = setTimeout(() => {
      void this.#end("rollback", expired(timeoutMs)).catch(() => undefined);
    }, timeoutMs);
  }

  async query(query: StateQuery): Promise<unknown[]> {
    this.#check();
    return this.#connection.run(query);
  }

  kv(plugin: string): KeyValueStore {
    return this.#connection.kv((query) => this.query(query), plugin);
  }

  commit(): Promise<void> {
    this.#check();
    return this.#end("commit", new PluginStateError("ended", "the transaction was committed"));
  }

  rollback(): Promise<void> {
    if (this.#ended) return this.#ending ?? Promise.resolve();
    return this.#end("rollback", new PluginStateError("ended", "the transaction was rolled back"));
  }

  #check(): void {
    if (this.#ended) throw this.#ended;
  }

  #end(statement: "commit" | "rollback", after: PluginStateError): Promise<void> {
    this.#ended = after;
    clearTimeout(this.#timer);
    this.#ending = this.#connection.end(statement).finally(this.#onEnd);
    return this.#ending;
  }
}

export function expired(timeoutMs: number): PluginStateError {
  return new PluginStateError(
    "expired",
    `the transaction was rolled back: it was open longer than its bound of ${timeoutMs} ms`,
  );
}
