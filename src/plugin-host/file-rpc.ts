import { createHash, type Hash } from "node:crypto";
import {
  CHUNK_BYTES,
  FileTooLargeError,
  type PluginFileStore,
  type StoredFileRow,
} from "../storage/plugin-files.ts";
import type { RpcCall } from "./protocol.ts";

/** What `ctx.files` is served from when the store keeps the files (PostgreSQL). */
export interface FileServices {
  /** Undefined when workers keep their files in DATA_DIR (SQLite): then no call is served. */
  files: PluginFileStore | undefined;
  now(): number;
}

export type FileCall = Extract<RpcCall, { method: `files.${string}` }>;

export function isFileCall(call: RpcCall): call is FileCall {
  return call.method.startsWith("files.");
}

/** Uploads one worker may have open at once: each holds a hash here until it ends. */
const MAX_UPLOADS = 64;

interface Upload {
  /** The store's id for it, which the worker never sees. */
  id: string;
  hash: Hash;
  size: number;
  chunks: number;
  maxBytes: number | undefined;
  /** A chunk shorter than CHUNK_BYTES came: it was the last one. */
  ended: boolean;
  /** A chunk is being written: chunks go one at a time, in order. */
  busy: boolean;
}

/**
 * One worker's `ctx.files` in the store. The plugin is the one the worker opened its state as
 * (`owner`), never a name a message carries, so a worker reaches its own plugin's files alone.
 * The host hashes and counts the bytes itself as they pass: what a file is named and how large
 * it is are the host's findings, not the worker's word. Uploads still open when the worker goes
 * (it died, or was retired) are dropped.
 */
export class FileSession {
  readonly #services: FileServices;
  readonly #owner: () => string | undefined;
  readonly #uploads = new Map<number, Upload>();
  #nextUpload = 1;
  #closed = false;

  constructor(services: FileServices, owner: () => string | undefined) {
    this.#services = services;
    this.#owner = owner;
  }

  async call(call: FileCall): Promise<unknown> {
    if (this.#closed) throw new Error("the plugin's worker has stopped");
    const files = this.#services.files;
    if (!files)
      throw new Error("this bot keeps plugin files in DATA_DIR: the worker stores them itself");
    const plugin = this.#owner();
    if (plugin === undefined) throw new Error("the plugin's state is not open yet");
    switch (call.method) {
      case "files.begin":
        return this.#begin(files, plugin, call.maxBytes);
      case "files.write":
        return this.#write(files, call.upload, call.bytes);
      case "files.commit":
        return this.#commit(files, plugin, call.upload);
      case "files.abort":
        return this.#abort(files, call.upload);
      case "files.size":
        return files.size(plugin, call.sha256);
      case "files.read":
        return files.chunk(plugin, call.sha256, call.index);
      case "files.delete":
        return files.delete(plugin, call.sha256);
    }
  }

  /** Drops the uploads the worker left open; later calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const open = [...this.#uploads.values()];
    this.#uploads.clear();
    const files = this.#services.files;
    if (files) await Promise.all(open.map((upload) => files.abort(upload.id).catch(() => {})));
  }

  async #begin(
    files: PluginFileStore,
    plugin: string,
    maxBytes: number | undefined,
  ): Promise<number> {
    if (this.#uploads.size >= MAX_UPLOADS)
      throw new Error(`too many files being stored at once (at most ${MAX_UPLOADS})`);
    const id = await files.begin(plugin, this.#services.now());
    if (this.#closed) {
      await files.abort(id);
      throw new Error("the plugin's worker has stopped");
    }
    const upload = this.#nextUpload++;
    this.#uploads.set(upload, {
      id,
      hash: createHash("sha256"),
      size: 0,
      chunks: 0,
      maxBytes,
      ended: false,
      busy: false,
    });
    return upload;
  }

  async #write(files: PluginFileStore, id: number, bytes: Uint8Array): Promise<void> {
    const upload = this.#upload(id);
    upload.busy = true;
    try {
      // Fixed chunk boundaries: the same bytes make the same chunks, whoever stored them.
      if (upload.ended)
        throw new Error(`only the last chunk of a file may be shorter than ${CHUNK_BYTES} bytes`);
      const size = upload.size + bytes.byteLength;
      if (upload.maxBytes !== undefined && size > upload.maxBytes)
        throw new FileTooLargeError(`file exceeds ${upload.maxBytes} bytes`);
      await files.write(upload.id, upload.chunks, bytes, this.#services.now());
      upload.hash.update(bytes);
      upload.size = size;
      upload.chunks++;
      upload.ended = bytes.byteLength < CHUNK_BYTES;
      upload.busy = false;
    } catch (error) {
      // A failed chunk fails the whole put: nothing of it is kept.
      this.#uploads.delete(id);
      await files.abort(upload.id).catch(() => {});
      throw error;
    }
  }

  async #commit(files: PluginFileStore, plugin: string, id: number): Promise<StoredFileRow> {
    const upload = this.#upload(id);
    this.#uploads.delete(id);
    const file = { sha256: upload.hash.digest("hex"), size: upload.size };
    try {
      await files.commit(plugin, upload.id, file, this.#services.now());
    } catch (error) {
      await files.abort(upload.id).catch(() => {});
      throw error;
    }
    return file;
  }

  /** Also for an upload that has ended already (a chunk failed): there is nothing left to drop. */
  async #abort(files: PluginFileStore, id: number): Promise<void> {
    const upload = this.#uploads.get(id);
    if (!upload) return;
    this.#uploads.delete(id);
    await files.abort(upload.id);
  }

  #upload(id: number): Upload {
    const upload = this.#uploads.get(id);
    if (!upload) throw new Error(`no upload ${id}: it has ended`);
    if (upload.busy) throw new Error(`upload ${id} is writing a chunk: send them one at a time`);
    return upload;
  }
}
