/**
 * `ctx.files` when the store keeps the files (PostgreSQL): every instance of the bot reads what
 * any of them stored. Bytes cross to the host a chunk at a time, each awaited before the next is
 * read, and come back a chunk at a time as the reader pulls: neither side holds a file whole.
 */
import type { FileStore, StoredFile } from "../../sdk/context.ts";
import { CHUNK_BYTES, checkDigest, FileTooLargeError } from "../../storage/plugin-files.ts";
import type { HostRpc } from "./rpc.ts";

/** `maxBytes` as the host takes it: none when it bounds nothing, never below zero. */
function bound(maxBytes: number | undefined): { maxBytes?: number } {
  if (maxBytes === undefined || !Number.isFinite(maxBytes)) return {};
  return { maxBytes: Math.max(0, maxBytes) };
}

export function createRemoteFileStore(rpc: HostRpc): FileStore {
  const size = async (sha256: string) =>
    (await rpc.call({ method: "files.size", sha256: checkDigest(sha256) })) as number | undefined;

  return {
    async put(stream, options = {}): Promise<StoredFile> {
      const limit = bound(options.maxBytes);
      let upload: number;
      try {
        upload = (await rpc.call({ method: "files.begin", ...limit })) as number;
      } catch (error) {
        await stream.cancel(error).catch(() => {});
        throw error;
      }
      const reader = stream.getReader();
      // Whatever sizes the stream yields, chunks go out CHUNK_BYTES long (the last one shorter).
      const pending = new Uint8Array(CHUNK_BYTES);
      let filled = 0;
      // postMessage copies what it sends, at once: the buffer is free again when call() returns.
      // A copy of just the bytes for the last one: a view would carry its whole buffer along.
      const send = (bytes: Uint8Array) => rpc.call({ method: "files.write", upload, bytes });
      let size = 0;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (limit.maxBytes !== undefined && size > limit.maxBytes)
            throw new FileTooLargeError(`file exceeds ${limit.maxBytes} bytes`);
          for (let offset = 0; offset < value.byteLength; ) {
            const taken = Math.min(CHUNK_BYTES - filled, value.byteLength - offset);
            pending.set(value.subarray(offset, offset + taken), filled);
            filled += taken;
            offset += taken;
            if (filled === CHUNK_BYTES) {
              await send(pending);
              filled = 0;
            }
          }
        }
        if (filled > 0) await send(pending.slice(0, filled));
        return (await rpc.call({ method: "files.commit", upload })) as StoredFile;
      } catch (error) {
        // The download feeding it stops too, and the host drops what it has: nothing is kept.
        await reader.cancel(error).catch(() => {});
        await rpc.call({ method: "files.abort", upload }).catch(() => {});
        throw error;
      }
    },
    has: async (sha256) => (await size(sha256)) !== undefined,
    size,
    async get(sha256) {
      const total = await size(sha256);
      if (total === undefined) return undefined;
      let index = 0;
      let read = 0;
      // The default high-water mark of one chunk: at most one pulled ahead of the reader.
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (read >= total) return controller.close();
          const bytes = (await rpc.call({ method: "files.read", sha256, index })) as
            | Uint8Array
            | undefined;
          if (!bytes) return controller.error(new Error(`file ${sha256} was deleted while read`));
          index++;
          read += bytes.byteLength;
          controller.enqueue(bytes);
        },
      });
    },
    delete: async (sha256) =>
      (await rpc.call({ method: "files.delete", sha256: checkDigest(sha256) })) as boolean,
  };
}
