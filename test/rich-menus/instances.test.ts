/**
 * Two instances of one bot (one PostgreSQL database, one LINE channel) starting together with the
 * same plugin: its menus are created once, not once per instance (the sync is one instance at a
 * time, under an advisory lock, and the later one finds them recorded).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LineStandIn, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";
import { freshSchema, TEST_DATABASE_URL } from "../helpers/postgres.ts";
import { shopDir } from "./shop.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!TEST_DATABASE_URL)("rich menus on several instances", () => {
  test("two instances loading the same plugin at once create its menus once", async () => {
    const schema = freshSchema();
    cleanups.push(() => schema.drop());
    const shop = shopDir();
    cleanups.push(shop.remove);
    const line = new LineStandIn({ channelAccessToken: "instances-token" });
    const start = async (): Promise<TestBot> => {
      const dataDir = mkdtempSync(join(tmpdir(), "hotline-instance-"));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const bot = await startTestBot({
        pluginsDir: shop.dir,
        dataDir,
        line,
        env: { DATABASE_URL: schema.url },
      });
      cleanups.push(() => bot.stop());
      return bot;
    };
    await Promise.all([start(), start()]);

    const creates = line.requests.filter(
      (r) => r.method === "POST" && r.path === "/v2/bot/richmenu",
    );
    expect(creates).toHaveLength(2);
    expect(line.richMenus.map((menu) => menu.menu.chatBarText).sort()).toEqual(["Shop", "VIP"]);
    expect(line.requests.filter((r) => r.path === "/v2/bot/richmenu/alias")).toHaveLength(2);
  }, 20_000);
});
