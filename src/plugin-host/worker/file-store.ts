import { createHash, randomUUID } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { FileStore, StoredFile } from "../../sdk/context.ts";
import { ABANDONED_AFTER_MS, checkDigest, FileTooLargeError } from "../../storage/plugin-files.ts";

/** Where a plugin's files are: `<root>/<first two hex digits>/<digest>`, and `<root>/tmp/`. */
export function localFilesRoot(dataDir: string, plugin: string): string {
  return join(dataDir, "files", plugin);
}

/**
 * Content-addressed files under `<dataDir>/files/<plugin>/`: paths are built only from hex
 * digests, so nothing a user sends (message ids, file names) can reach the file system.
 */
export function createFileStore(dataDir: string, plugin: string): FileStore {
  const root = localFilesRoot(dataDir, plugin);
  const pathOf = (sha256: string) => join(root, checkDigest(sha256).slice(0, 2), sha256);
  removeAbandonedTempFiles(join(root, "tmp"));

  return {
    async put(stream, options = {}): Promise<StoredFile> {
      const tmpDir = join(root, "tmp");
      // Owner-only, like everything in DATA_DIR: users' media.
      mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
      const tmp = join(tmpDir, randomUUID());
      const hash = createHash("sha256");
      const file = await open(tmp, "wx", 0o600);
      let size = 0;
      try {
        // One chunk at a time: a large video never sits in memory whole.
        const reader = stream.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (options.maxBytes !== undefined && size > options.maxBytes) {
            await reader.cancel();
            throw new FileTooLargeError(`file exceeds ${options.maxBytes} bytes`);
          }
          hash.update(value);
          await file.write(value);
        }
        // On disk before it gets its name: a stored file survives power loss like the database.
        await file.sync();
      } catch (error) {
        await file.close();
        rmSync(tmp, { force: true });
        throw error;
      }
      await file.close();
      const sha256 = hash.digest("hex");
      const target = pathOf(sha256);
      mkdirSync(join(root, sha256.slice(0, 2)), { recursive: true, mode: 0o700 });
      if (existsSync(target)) rmSync(tmp, { force: true });
      else renameSync(tmp, target);
      return { sha256, size };
    },
    async has(sha256) {
      return existsSync(pathOf(sha256));
    },
    async size(sha256) {
      return statSync(pathOf(sha256), { throwIfNoEntry: false })?.size;
    },
    async get(sha256) {
      const path = pathOf(sha256);
      if (!existsSync(path)) return undefined;
      return Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
    },
    async delete(sha256) {
      const path = pathOf(sha256);
      if (!existsSync(path)) return false;
      rmSync(path);
      return true;
    },
  };
}

/** Deletes what crashed put()s left in `tmpDir`; file times are the wall clock's, so is `now`. */
function removeAbandonedTempFiles(tmpDir: string, now = Date.now()): void {
  if (!existsSync(tmpDir)) return;
  for (const name of readdirSync(tmpDir)) {
    const path = join(tmpDir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isFile() && now - stat.mtimeMs > ABANDONED_AFTER_MS) rmSync(path, { force: true });
  }
}
