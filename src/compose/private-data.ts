import { chmodSync, mkdirSync, statSync } from "node:fs";
import type { Logger } from "../logging/logger.ts";
import { databasePath } from "../storage/sqlite/database.ts";
import { pluginStatePath } from "../storage/sqlite/plugin-state-db.ts";

const OTHERS = 0o077;

/**
 * DATA_DIR holds messages, profiles and account links: it is the owner's alone. It is created
 * 0700; an existing one that others may enter, and database files they may read (installations
 * from before), are tightened, and the log says so. New files are created owner-only where they
 * are made (the database, plugins' file stores, local-mode.json); older files deeper down are out
 * of reach once the directory itself is 0700, so they are not walked (an archive may be large).
 * Not being allowed to tighten (another owner) is logged, not fatal: the operator chose that.
 */
export function keepDataDirPrivate(dataDir: string, log: Logger): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const databases = [databasePath(dataDir), pluginStatePath(dataDir)];
  const files = databases.flatMap((file) => [file, `${file}-wal`, `${file}-shm`]);
  for (const path of [dataDir, ...files]) tighten(path, log);
}

/** Takes group and other permissions off `path`, if it exists and has any. */
function tighten(path: string, log: Logger): void {
  const mode = statSync(path, { throwIfNoEntry: false })?.mode;
  if (mode === undefined || (mode & OTHERS) === 0) return;
  const from = octal(mode);
  const to = octal(mode & ~OTHERS);
  try {
    chmodSync(path, mode & 0o7777 & ~OTHERS);
    log.warn({ path, from, to }, "tightened permissions: DATA_DIR is readable by its owner only");
  } catch (error) {
    log.warn({ path, mode: from, err: error }, "could not tighten permissions in DATA_DIR");
  }
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, "0");
