/**
 * Rich menus as code, through the real path: a plugin declares its menus, the host syncs them
 * with the LINE stand-in (which records every call and checks what LINE checks), across a hot
 * reload and a restart on the same data directory and the same LINE.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  event,
  LineStandIn,
  startTestBot,
  type TestBot,
  type TestBotOptions,
  user,
} from "../../src/dev/testing/mod.ts";
import type { HostEvent } from "../../src/plugin-host/host.ts";
import { shopDir } from "./shop.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The rich menu calls LINE got, as `METHOD path`, ids shown as `{id}`. */
function richMenuCalls(line: LineStandIn): string[] {
  return line.requests
    .filter((request) => request.path.includes("richmenu"))
    .map((request) => `${request.method} ${request.path.replace(/richmenu-[0-9a-f]{32}/, "{id}")}`);
}

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hotline-richmenus-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function bot(options: TestBotOptions): Promise<TestBot> {
  const started = await startTestBot({ tuning: { watch: true }, ...options });
  cleanups.push(() => started.stop());
  return started;
}

const reloaded = (name: string) => (e: HostEvent) =>
  e.type === "loaded" && e.name === name && e.reload;
const texts = (b: TestBot, sent: { replyToken?: string | null }) =>
  (b.repliesTo(sent) as Array<{ text?: string }>).map((message) => message.text);
const alice = "U".padEnd(33, "a");
const bob = "U".padEnd(33, "b");

/** The menu `userId` sees, by its chat bar. */
const seenBy = (line: LineStandIn, userId: string) => line.richMenuOf(userId)?.menu.chatBarText;

describe("rich menus as code", () => {
  test("declared: created once, with image, aliases and the default; its areas tap through", async () => {
    const shop = shopDir();
    cleanups.push(shop.remove);
    const b = await bot({ pluginsDir: shop.dir });

    expect(richMenuCalls(b.line).sort()).toEqual(
      [
        "GET /v2/bot/richmenu/list",
        "POST /v2/bot/richmenu",
        "POST /v2/bot/richmenu",
        "POST /v2/bot/richmenu/{id}/content",
        "POST /v2/bot/richmenu/{id}/content",
        "POST /v2/bot/richmenu/alias",
        "POST /v2/bot/richmenu/alias",
        "POST /v2/bot/user/all/richmenu/{id}",
      ].sort(),
    );
    const menus = b.line.richMenus;
    expect(menus.map((menu) => menu.menu.chatBarText).sort()).toEqual(["Shop", "VIP"]);
    expect(menus.every((menu) => menu.image?.contentType === "image/png")).toBe(true);
    expect(b.line.richMenuByAlias("shop-main")?.richMenuId).toBe(b.line.defaultRichMenuId);
    expect(b.line.richMenuByAlias("shop-vip")?.menu.chatBarText).toBe("VIP");
    expect(String(b.line.richMenuByAlias("shop-main")?.menu.name)).toMatch(
      /^hotline shop\/main [0-9a-f]{12}$/,
    );

    // Everyone sees the default; its route area reaches the plugin's postback route.
    expect(seenBy(b.line, alice)).toBe("Shop");
    expect(texts(b, await b.tapRichMenu(alice, "Orders"))).toEqual(["orders, page 1"]);
    // The switch area shows the VIP menu (by its alias), whose area is the same route.
    await b.tapRichMenu(alice, "VIP");
    expect(seenBy(b.line, alice)).toBe("VIP");
    expect(texts(b, await b.tapRichMenu(alice, "VIP orders"))).toEqual(["orders, page 2"]);
  }, 20_000);

  test("unchanged across a hot reload and a restart: no calls to LINE", async () => {
    const shop = shopDir();
    cleanups.push(shop.remove);
    const data = dataDir();
    const first = await bot({ pluginsDir: shop.dir, dataDir: data });
    const created = first.line.richMenus.map((menu) => menu.richMenuId).sort();
    expect(created).toHaveLength(2);
    first.line.reset();

    // A new version whose menus are the same: swapped in without a call.
    const reload = first.waitForPlugin(reloaded("shop"));
    shop.write.source({ greeting: "your orders" });
    await reload;
    expect(texts(first, await first.tapRichMenu(bob, "Orders"))).toEqual(["your orders, page 1"]);
    expect(richMenuCalls(first.line)).toEqual([]);

    // A restart on the same data and the same LINE: nothing to do either.
    await first.stop();
    first.line.reset();
    const second = await bot({ pluginsDir: shop.dir, dataDir: data, line: first.line });
    expect(richMenuCalls(second.line)).toEqual([]);
    expect(second.line.richMenus.map((menu) => menu.richMenuId).sort()).toEqual(created);
    expect(texts(second, await second.tapRichMenu(bob, "Orders"))).toEqual(["your orders, page 1"]);
  }, 20_000);

  test("a changed image: the menu is replaced, its alias, default and linked users move", async () => {
    const shop = shopDir();
    cleanups.push(shop.remove);
    const b = await bot({ pluginsDir: shop.dir });
    const vip = event.text("vip", { chat: user(alice) });
    await b.deliver(vip);
    expect(texts(b, vip)).toEqual(["welcome, VIP"]);
    expect(seenBy(b.line, alice)).toBe("VIP");
    const before = new Map(b.line.richMenus.map((menu) => [menu.menu.chatBarText, menu]));
    b.line.reset();

    // Only the VIP image changes: the plugin reloads (its files changed), the VIP menu is replaced.
    const reload = b.waitForPlugin(reloaded("shop"));
    shop.write.image("vip.png", 90);
    await reload;
    expect(richMenuCalls(b.line)).toEqual([
      "GET /v2/bot/richmenu/list",
      "POST /v2/bot/richmenu",
      "POST /v2/bot/richmenu/{id}/content",
      "POST /v2/bot/richmenu/bulk/link",
      "POST /v2/bot/richmenu/alias/shop-vip",
      "DELETE /v2/bot/richmenu/{id}",
    ]);
    const after = new Map(b.line.richMenus.map((menu) => [menu.menu.chatBarText, menu]));
    expect(after.get("Shop")?.richMenuId).toBe(before.get("Shop")?.richMenuId as string);
    const replacement = after.get("VIP");
    expect(replacement?.richMenuId).not.toBe(before.get("VIP")?.richMenuId as string);
    expect(replacement?.image?.bytes).not.toEqual(before.get("VIP")?.image?.bytes as Uint8Array);
    // Alice still sees the VIP menu: its new version; the alias names it too.
    expect(b.line.richMenuOf(alice)?.richMenuId).toBe(replacement?.richMenuId as string);
    expect(b.line.richMenuByAlias("shop-vip")?.richMenuId).toBe(replacement?.richMenuId as string);
    expect(b.line.richMenus).toHaveLength(2);

    // The default menu's image changes: the default moves to its new version.
    b.line.reset();
    const again = b.waitForPlugin(reloaded("shop"));
    shop.write.image("main.png", 60);
    await again;
    const main = b.line.richMenuByAlias("shop-main");
    expect(main?.richMenuId).not.toBe(before.get("Shop")?.richMenuId as string);
    expect(b.line.defaultRichMenuId).toBe(main?.richMenuId as string);
    expect(seenBy(b.line, bob)).toBe("Shop");
    expect(richMenuCalls(b.line)).toContain("POST /v2/bot/user/all/richmenu/{id}");
  }, 20_000);

  test("removed: its menus are deleted; removed while the bot was down: at the next start", async () => {
    const shop = shopDir();
    cleanups.push(shop.remove);
    const data = dataDir();
    const first = await bot({ pluginsDir: shop.dir, dataDir: data });
    expect(first.line.richMenus).toHaveLength(2);

    // The VIP menu is no longer declared: only it goes, with its alias.
    first.line.reset();
    const reload = first.waitForPlugin(reloaded("shop"));
    shop.write.source({ vip: false });
    await reload;
    expect(richMenuCalls(first.line)).toEqual([
      "DELETE /v2/bot/richmenu/alias/shop-vip",
      "DELETE /v2/bot/richmenu/{id}",
    ]);
    expect(first.line.richMenus.map((menu) => menu.menu.chatBarText)).toEqual(["Shop"]);

    // The plugin is removed while the bot is down: the next start deletes what it made.
    await first.stop();
    shop.removePlugin();
    first.line.reset();
    const second = await bot({ pluginsDir: shop.dir, dataDir: data, line: first.line });
    expect(second.line.richMenus).toEqual([]);
    expect(second.line.defaultRichMenuId).toBeUndefined();
    expect(second.line.richMenuByAlias("shop-main")).toBeUndefined();
  }, 20_000);

  test("a plugin file removed while the bot runs: its menus are deleted", async () => {
    const shop = shopDir();
    cleanups.push(shop.remove);
    const b = await bot({ pluginsDir: shop.dir });
    expect(b.line.richMenus).toHaveLength(2);
    b.line.reset();
    const unloaded = b.waitForPlugin((e) => e.type === "unloaded" && e.name === "shop");
    shop.removePlugin();
    await unloaded;
    await b.line.waitFor((line) => line.richMenus.length === 0);
    expect(b.line.defaultRichMenuId).toBeUndefined();
    // Each with its alias; the default cleared first (if it is still the shop's).
    expect(richMenuCalls(b.line).sort()).toEqual([
      "DELETE /v2/bot/richmenu/alias/shop-main",
      "DELETE /v2/bot/richmenu/alias/shop-vip",
      "DELETE /v2/bot/richmenu/{id}",
      "DELETE /v2/bot/richmenu/{id}",
      "DELETE /v2/bot/user/all/richmenu",
      "GET /v2/bot/user/all/richmenu",
    ]);
  }, 20_000);

  test("LINE failing: the plugin serves all the same, and its next load syncs", async () => {
    const shop = shopDir();
    cleanups.push(shop.remove);
    const line = new LineStandIn({ channelAccessToken: "failing-line" });
    line.fault({ method: "POST", path: "/v2/bot/richmenu", status: 500, times: Infinity });
    const b = await bot({ pluginsDir: shop.dir, line });
    expect(b.line.richMenus).toEqual([]);
    const ask = event.text("menu vip", { chat: user(alice) });
    await b.deliver(ask);
    expect(texts(b, ask)).toEqual([
      `refused: rich menu "vip" is not at LINE: its sync failed (the log says why); the plugin's next load tries again`,
    ]);

    line.reset(); // LINE answers again
    const reload = b.waitForPlugin(reloaded("shop"));
    shop.write.source({ greeting: "welcome" });
    await reload;
    expect(b.line.richMenus).toHaveLength(2);
    const again = event.text("menu vip", { chat: user(alice) });
    await b.deliver(again);
    expect(texts(b, again)).toEqual(["linked vip"]);
    expect(seenBy(b.line, alice)).toBe("VIP");
  }, 20_000);

  test("LINE slow: the plugin loads within its load timeout; the sync finishes behind it", async () => {
    const shop = shopDir();
    cleanups.push(shop.remove);
    const line = new LineStandIn({ channelAccessToken: "slow-line" });
    line.fault({ method: "POST", path: "/v2/bot/richmenu", delayMs: 4000 });
    const b = await bot({ pluginsDir: shop.dir, line, tuning: { loadTimeoutMs: 1000 } });
    expect(b.hotline.plugins.statuses().map((status) => status.state)).toEqual(["loaded"]);
    expect(b.line.richMenus).toEqual([]);
    await b.line.waitFor((l) => l.defaultRichMenuId, { timeoutMs: 10_000 });
    expect(b.line.richMenus).toHaveLength(2);
  }, 20_000);
});
