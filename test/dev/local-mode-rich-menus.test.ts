/**
 * A plugin's declared rich menus in local mode: the simulator shows the person's menu with its
 * image, a tap on an area reaches the plugin's postback route, and a restart on the same data
 * directory finds the menus where the bot left them (the stand-in keeps them, as LINE would).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "../../src/config/env.ts";
import { type LocalHotline, startLocalHotline } from "../../src/dev/local-mode.ts";
import { PEOPLE } from "../../src/dev/simulator/simulator.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { samplePng } from "../e2e/png.ts";
import { MENU_SIZE, shopDir } from "../rich-menus/shop.ts";

const [alice] = PEOPLE;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(dataDir: string, pluginsDir: string): Promise<LocalHotline> {
  const local = await startLocalHotline({
    env: parseEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      PLUGINS_DIR: pluginsDir,
      CONFIG_FILE: join(dataDir, "none.json"),
    }),
    log: silentLogger,
    tuning: { watch: false },
  });
  cleanups.push(() => local.stop());
  return local;
}

interface ShownMenu {
  richMenuId: string;
  chatBarText: string;
  areas: Array<{ action: { type: string; label?: string; data?: string } }>;
}

async function shownTo(local: LocalHotline, user: string): Promise<ShownMenu> {
  const response = await fetch(`${local.simulatorUrl}/api/rich-menu?user=${user}`);
  const { richMenu } = (await response.json()) as { richMenu: ShownMenu };
  return richMenu;
}

describe("declared rich menus in local mode", () => {
  test("drawn by the simulator, tapped through to the route, kept across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "hotline-local-menus-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const shop = shopDir();
    cleanups.push(shop.remove);
    const first = await start(dataDir, shop.dir);

    const menu = await shownTo(first, alice.id);
    expect(menu.chatBarText).toBe("Shop");
    const image = await fetch(
      `${first.simulatorUrl}/api/rich-menu/${menu.richMenuId}/image?user=${alice.id}`,
    );
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(
      samplePng(MENU_SIZE.width, MENU_SIZE.height),
    );

    // What the page sends for a tap on the "Orders" area: a postback with its data.
    const orders = menu.areas.find((area) => area.action.label === "Orders")?.action;
    expect(orders?.data).toStartWith("hl:shop:orders:");
    const tap = await fetch(`${first.simulatorUrl}/api/send`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        type: "postback",
        chat: "user",
        user: alice.id,
        data: orders?.data,
        label: "Orders",
      }),
    });
    expect(tap.status).toBe(200);
    await first.standIn.waitFor((line) =>
      line.replies.some((reply) =>
        reply.messages.some((m) => (m as { text?: string }).text === "orders, page 1"),
      ),
    );

    // A restart: a fresh stand-in, which finds the menus in DATA_DIR, and a bot with nothing to do.
    await first.stop();
    const second = await start(dataDir, shop.dir);
    expect(second.standIn.requests.filter((r) => r.path.includes("richmenu"))).toEqual([]);
    expect((await shownTo(second, alice.id)).richMenuId).toBe(menu.richMenuId);
  }, 20_000);
});
