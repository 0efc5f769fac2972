/**
 * `ctx.files` on both stores: the contract, run by a real plugin in a real worker; and, on
 * PostgreSQL, what only the store gives: every instance reads what any of them stored, and
 * put()s a worker or an instance left unfinished are dropped. The SQLite half always runs; the
 * PostgreSQL half when TEST_DATABASE_URL is set.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createPluginsDir, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";
import { CHUNK_BYTES } from "../../src/storage/plugin-files.ts";
import { freshSchema, TEST_DATABASE_URL } from "../helpers/postgres.ts";
import {
  bytes,
  describeFileStoreContract,
  keeper,
  keeperOf,
  sha256,
} from "./file-store-contract.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A bot running the plugins "keeper" and "other" (the same routes), on this database. */
async function botOn(databaseUrl: string): Promise<{ bot: TestBot; reload(): Promise<void> }> {
  const scratch = createPluginsDir();
  cleanups.push(scratch.remove);
  const file = scratch.write("keeper.ts", keeper("keeper"));
  scratch.write("other.ts", keeper("other"));
  const bot = await startTestBot({ pluginsDir: scratch.dir, env: { DATABASE_URL: databaseUrl } });
  cleanups.push(() => bot.stop());
  return {
    bot,
    async reload() {
      const loaded = bot.waitForPlugin((e) => e.type === "loaded" && e.reload);
      scratch.write("keeper.ts", `${keeper("keeper")}\n// changed\n`);
      await bot.hotline.plugins.reload([file]);
      await loaded;
    },
  };
}

/** Chunk rows of every plugin's files and uploads, as the store holds them. */
async function chunkRows(bot: TestBot): Promise<number> {
  const [row] = (await bot.hotline.pluginState.query({
    sql: "select count(*)::int from plugin_file_chunks",
    params: [],
    rows: "arrays",
  })) as number[][];
  return row?.[0] as number;
}

function freshDatabase(): string {
  const schema = freshSchema();
  cleanups.push(() => schema.drop());
  return schema.url;
}

// An empty DATABASE_URL means SQLite even when the test process runs against PostgreSQL.
describeFileStoreContract("in DATA_DIR, SQLite", async () => (await botOn("")).bot);

describe.skipIf(!TEST_DATABASE_URL)("PostgreSQL", () => {
  describeFileStoreContract(
    "in the store, PostgreSQL",
    async () => (await botOn(freshDatabase())).bot,
  );

  test("nothing is written to DATA_DIR: the files are rows in the plugins' schema", async () => {
    const { bot } = await botOn(freshDatabase());
    const content = bytes(1, CHUNK_BYTES + 1);
    await keeperOf(bot).put(content);

    expect(existsSync(join(bot.dataDir, "files"))).toBe(false);
    expect(await chunkRows(bot)).toBe(2);
    expect(await bot.hotline.pluginState.files?.list("keeper")).toEqual([
      { sha256: sha256(content), size: content.byteLength },
    ]);
  });

  test("two instances on one database read, dedup and delete each other's files", async () => {
    const url = freshDatabase();
    const { bot: a } = await botOn(url);
    const { bot: b } = await botOn(url);
    const content = bytes(2, 2 * CHUNK_BYTES + 12_345);

    const stored = await keeperOf(a).put(content, "piece=30000");

    expect(await keeperOf(b).get(sha256(content))).toEqual(content);
    expect(await keeperOf(b).put(content)).toEqual(stored);
    expect(await b.files("keeper").list()).toEqual([sha256(content)]);
    expect(await keeperOf(b).delete(sha256(content))).toEqual({ deleted: true });
    expect(await keeperOf(a).stat(sha256(content))).toEqual({ has: false, size: null });
    expect(await chunkRows(a)).toBe(0);
  }, 20_000);

  test("a put() under way when its worker goes is dropped with the worker", async () => {
    const { bot, reload } = await botOn(freshDatabase());
    expect(await keeperOf(bot).put(bytes(3, 3 * CHUNK_BYTES), "hold")).toEqual({
      holding: true,
    });
    expect(await bot.files("keeper").uploads()).toBe(1);

    // The new version takes over; the old worker, and its put(), are retired.
    await reload();
    for (let tries = 0; (await bot.files("keeper").uploads()) > 0; tries++) {
      if (tries > 100) throw new Error("the retired worker's upload is still there");
      await Bun.sleep(20);
    }
    expect(await bot.files("keeper").list()).toEqual([]);
  });

  test("uploads untouched for an hour are pruned, chunks and all; fresh ones are kept", async () => {
    const { bot } = await botOn(freshDatabase());
    const files = bot.hotline.pluginState.files;
    if (!files) throw new Error("a bot on PostgreSQL keeps plugin files in the store");
    const now = bot.clock.now();
    const stale = await files.begin("keeper", now - 2 * 3_600_000);
    await files.write(stale, 0, bytes(4, CHUNK_BYTES), now - 2 * 3_600_000);
    const fresh = await files.begin("keeper", now);
    await files.write(fresh, 0, bytes(5, 100), now);

    expect(await chunkRows(bot)).toBe(2);

    expect(await files.pruneUploads(now - 3_600_000)).toBe(1);

    expect(await files.uploads("keeper")).toBe(1);
    expect(await chunkRows(bot)).toBe(1);
    await expect(files.write(stale, 1, bytes(4, 10), now)).rejects.toThrow("the upload is gone");
    // The fresh one goes on and is named as any other.
    await files.commit("keeper", fresh, { sha256: sha256(bytes(5, 100)), size: 100 }, now);
    expect(await bot.files("keeper").read(sha256(bytes(5, 100)))).toEqual(bytes(5, 100));
  });
});
