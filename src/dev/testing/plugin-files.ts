import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { localFilesRoot } from "../../plugin-host/worker/file-store.ts";
import { checkDigest, type PluginFileStore } from "../../storage/plugin-files.ts";
import type { PluginStateStore } from "../../storage/plugin-state.ts";

/** A plugin's `ctx.files` seen from outside, wherever the bot keeps them. */
export interface PluginFilesView {
  /** The digests of the files the plugin keeps, sorted. */
  list(): Promise<string[]>;
  /** A file's bytes, whole (fine for a test's files), or undefined when there is no such file. */
  read(sha256: string): Promise<Uint8Array | undefined>;
  /** put()s under way, or left behind by a crash: temp files in DATA_DIR, uploads in the store. */
  uploads(): Promise<number>;
}

/** The plugin's files in the store (PostgreSQL), else in the bot's data directory (SQLite). */
export function pluginFiles(
  state: PluginStateStore,
  dataDir: string,
  plugin: string,
): PluginFilesView {
  return state.files ? inStore(state.files, plugin) : inDataDir(localFilesRoot(dataDir, plugin));
}

function inStore(files: PluginFileStore, plugin: string): PluginFilesView {
  return {
    list: async () => (await files.list(plugin)).map((file) => file.sha256),
    async read(sha256) {
      const size = await files.size(plugin, checkDigest(sha256));
      if (size === undefined) return undefined;
      const bytes = new Uint8Array(size);
      for (let index = 0, at = 0; at < size; index++) {
        const chunk = await files.chunk(plugin, sha256, index);
        if (!chunk) return undefined;
        bytes.set(chunk, at);
        at += chunk.byteLength;
      }
      return bytes;
    },
    uploads: () => files.uploads(plugin),
  };
}

function inDataDir(root: string): PluginFilesView {
  const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  const path = (sha256: string) => join(root, checkDigest(sha256).slice(0, 2), sha256);
  return {
    list: async () =>
      entries(root)
        .filter((dir) => dir !== "tmp")
        .flatMap((dir) => entries(join(root, dir)))
        .sort(),
    read: async (sha256) =>
      existsSync(path(sha256)) ? new Uint8Array(readFileSync(path(sha256))) : undefined,
    uploads: async () => entries(join(root, "tmp")).length,
  };
}
