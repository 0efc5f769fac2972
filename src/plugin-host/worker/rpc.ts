import type { HostToWorker, RpcCall, WorkerToHost } from "../protocol.ts";

type Post = (message: WorkerToHost) => void;

/** Request/response over postMessage for the calls a plugin makes into the host. */
export class HostRpc {
  #next = 1;
  readonly #pending = new Map<
    number,
    { resolve(value: unknown): void; reject(error: Error): void }
  >();

  constructor(private readonly post: Post) {}

  /** Resolves with the call's result (see `RpcCall`); rejects with the host's error. */
  call(call: RpcCall): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.post({ type: "rpc", id, ...call });
    });
  }

  settle(message: Extract<HostToWorker, { type: "rpc-result" }>): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.error === undefined) {
      pending.resolve(message.value);
      return;
    }
    const error = new Error(message.error);
    // The host's errors keep their names, so that a plugin can tell `PluginStateError` apart.
    if (message.errorName && message.errorName !== "Error") error.name = message.errorName;
    pending.reject(error);
  }
}
