/**
 * DATA_DIR holds messages, profiles and account links: what hotline creates there is readable by
 * its owner only, and an installation from before is tightened at start. Checked on the files a
 * real bot writes (its SQLite database, a plugin's file store, local mode's file), with statSync.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { parseEnv } from "../../src/config/env.ts";
import { localModeFile, startLocalHotline } from "../../src/dev/local-mode.ts";
import { createPluginsDir, event, startTestBot } from "../../src/dev/testing/mod.ts";
import { silentLogger } from "../../src/logging/logger.ts";

/** These files are SQLite's: an empty DATABASE_URL keeps the bot on it in the PostgreSQL run too. */
const ON_SQLITE = { DATABASE_URL: "" };

const FILER = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "filer",
  on: {
    "message:text": async (event, ctx) => {
      await ctx.files.put(new Blob([event.message.text]).stream());
    },
  },
});
`;

const modeOf = (path: string) => statSync(path).mode & 0o777;
const database = (dataDir: string) => join(dataDir, "hotline.db");

let scratch: string;
let plugins: ReturnType<typeof createPluginsDir>;
beforeAll(() => {
  // The usual umask: without explicit modes, files would be created 0644 and directories 0755.
  expect(process.umask() & 0o077).toBe(0o022);
  scratch = mkdtempSync(join(tmpdir(), "hotline-modes-"));
  plugins = createPluginsDir();
  plugins.write("filer.ts", FILER);
});
afterAll(() => {
  plugins?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

describe("what a bot creates in DATA_DIR is the owner's alone", () => {
  test("the database, its WAL and shared memory, a plugin's stored files and their folders", async () => {
    const bot = await startTestBot({ pluginsDir: plugins.dir, env: ON_SQLITE });
    try {
      await bot.deliver(event.text("a user's photo, as far as anyone knows"));
      const db = database(bot.dataDir);
      for (const path of [db, `${db}-wal`, `${db}-shm`]) expect(modeOf(path)).toBe(0o600);

      const sha256 = createHash("sha256")
        .update("a user's photo, as far as anyone knows")
        .digest("hex");
      const root = join(bot.dataDir, "files", "filer");
      expect(modeOf(join(root, sha256.slice(0, 2), sha256))).toBe(0o600);
      for (const dir of [
        "files",
        "files/filer",
        "files/filer/tmp",
        `files/filer/${sha256.slice(0, 2)}`,
      ])
        expect(modeOf(join(bot.dataDir, dir))).toBe(0o700);
    } finally {
      await bot.stop();
    }
  });

  test("local mode: a DATA_DIR that did not exist is made 0700, local-mode.json (the secret) 0600", async () => {
    const dataDir = join(scratch, "new", "data");
    const local = await startLocalHotline({
      env: parseEnv({
        PORT: "0",
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        PLUGINS_DIR: join(scratch, "no-plugins"),
        CONFIG_FILE: join(scratch, "none.json"),
      }),
      log: silentLogger,
      tuning: { watch: false },
    });
    try {
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(join(scratch, "new"))).toBe(0o700);
      expect(modeOf(localModeFile(dataDir))).toBe(0o600);
      expect(modeOf(database(dataDir))).toBe(0o600);
    } finally {
      await local.stop();
    }
  });
});

test("an installation from before (0755, 0644) is tightened at start, and the log says so", async () => {
  const dataDir = mkdtempSync(join(scratch, "old-"));
  const first = await startTestBot({ dataDir, pluginsDir: plugins.dir, env: ON_SQLITE });
  await first.deliver(event.text("stored before the upgrade"));
  await first.stop();

  // As an older version left them.
  const db = database(dataDir);
  const loose = [db, `${db}-wal`, `${db}-shm`].filter((path) => existsSync(path));
  chmodSync(dataDir, 0o755);
  for (const path of loose) chmodSync(path, 0o644);

  const logged: Array<{ msg: string; path?: string; from?: string; to?: string }> = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => logged.push(JSON.parse(line)) },
  );
  const second = await startTestBot({ dataDir, pluginsDir: plugins.dir, logger, env: ON_SQLITE });
  try {
    expect(modeOf(dataDir)).toBe(0o700);
    for (const path of [db, `${db}-wal`, `${db}-shm`]) expect(modeOf(path)).toBe(0o600);
    const tightened = logged.filter((line) => line.msg.startsWith("tightened permissions"));
    expect(tightened).toContainEqual(
      expect.objectContaining({ path: dataDir, from: "0755", to: "0700" }),
    );
    expect(tightened).toContainEqual(
      expect.objectContaining({ path: db, from: "0644", to: "0600" }),
    );
    // What was stored before is still there, and the bot still works on it.
    await second.deliver(event.text("stored after"));
    expect(await second.deliveries()).toHaveLength(2);
  } finally {
    await second.stop();
  }
});
