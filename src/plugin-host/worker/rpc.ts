import type { HostToWorker, WorkerToHost } from "../protocol.ts";

type Post = (message: WorkerToHost) => void;

/** Request/response over postMessage for the calls a plugin makes into the host. */
export class HostRpc {
  #next = 1;
  readonly #pending = new Map<number, { resolve(): void; reject(error: Error): void }>();

  constructor(private readonly post: Post) {}

  call(message: Omit<Extract<WorkerToHost, { type: "rpc" }>, "id" | "type">): Promise<void> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.post({ type: "rpc", id, ...message });
    });
  }

  settle(message: Extract<HostToWorker, { type: "rpc-result" }>): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.error === undefined) pending.resolve();
    else pending.reject(new Error(message.error));
  }
}
