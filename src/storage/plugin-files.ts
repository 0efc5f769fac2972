/**
 * Plugins' files (`ctx.files`) where the store keeps them: on PostgreSQL, so that every instance
 * of the bot reads what any of them stored. On SQLite there is one machine and `DATA_DIR`: each
 * worker keeps its plugin's files there itself (`plugin-host/worker/file-store.ts`), and the
 * store keeps none. Streaming, hashing and the plugin's identity are the plugin host's
 * (`plugin-host/file-rpc.ts`); this is what it needs of a driver: rows of bytes.
 */

/** The bytes of one row: whole file minus its tail is a run of these, so memory stays bounded. */
export const CHUNK_BYTES = 256 << 10;

/**
 * A put() untouched this long was left by a crash: a running put() touches its temp file or
 * upload with every chunk, and handlers have deadlines (15 minutes at most). The margin spares a
 * put() in the version a reload is draining, or in a worker being replaced.
 */
export const ABANDONED_AFTER_MS = 60 * 60_000;

const SHA256 = /^[0-9a-f]{64}$/;

/** A put() went over its `maxBytes`: nothing of it is kept. */
export class FileTooLargeError extends Error {
  override name = "FileTooLargeError";
}

/** The digest, when it is one (lower-case hex SHA-256): the only names a file store takes. */
export function checkDigest(sha256: string): string {
  if (!SHA256.test(sha256))
    throw new TypeError(`not a SHA-256 hex digest: "${String(sha256).slice(0, 80)}"`);
  return sha256;
}

export function isDigest(value: string): boolean {
  return SHA256.test(value);
}

export interface StoredFileRow {
  sha256: string;
  size: number;
}

/**
 * Files in the store, each a row naming it (plugin, digest, size) over numbered chunks. An upload
 * writes its chunks under an id of its own, invisible until `commit` names them in one
 * transaction; an upload that fails, is abandoned or loses a race to identical bytes leaves
 * nothing behind.
 */
export interface PluginFileStore {
  /** Starts an upload for the plugin; resolves with its id. */
  begin(plugin: string, now: number): Promise<string>;
  /** Adds chunk `index` (0, 1, …) to the upload; rejects when the upload is gone (aborted, pruned). */
  write(upload: string, index: number, bytes: Uint8Array, now: number): Promise<void>;
  /**
   * Makes the upload the plugin's file `sha256`, in one transaction; when the plugin has those
   * bytes already, the upload's chunks are dropped instead. Rejects when the upload is gone.
   */
  commit(plugin: string, upload: string, file: StoredFileRow, now: number): Promise<void>;
  /** Drops the upload and its chunks. */
  abort(upload: string): Promise<void>;
  /** The file's size, or undefined when the plugin has no such file. */
  size(plugin: string, sha256: string): Promise<number | undefined>;
  /** Chunk `index` of the plugin's file; undefined when there is no such file or chunk. */
  chunk(plugin: string, sha256: string, index: number): Promise<Uint8Array | undefined>;
  delete(plugin: string, sha256: string): Promise<boolean>;
  /** The plugin's files, by digest (operators, tests). */
  list(plugin: string): Promise<StoredFileRow[]>;
  /** How many uploads of the plugin are under way, or were left by a crash. */
  uploads(plugin: string): Promise<number>;
  /** Drops uploads untouched since `before` (a crashed instance's); resolves with how many. */
  pruneUploads(before: number): Promise<number>;
}
