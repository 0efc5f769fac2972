/**
 * Rich menus in several LINE channels, against the LINE stand-in (whose menus are per channel, as
 * LINE's): a plugin's menus are made in every channel that runs it, with that channel's token; a
 * channel limited to other plugins gets none; `ctx.richMenu` in an event links in the event's
 * channel; channels added, changed and removed while running; a restart makes no call.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  event,
  type LineStandIn,
  startTestBot,
  type TestBot,
  type TestBotOptions,
  user,
} from "../../src/dev/testing/mod.ts";
import { shopDir } from "./shop.ts";

const BYSTANDER = `
import { definePlugin } from "hotline";

export default definePlugin({
  name: "bystander",
  commands: { ping: { description: "Answers", handle: (_a, _e, ctx) => ctx.reply("pong") } },
});
`;

const alice = `U${"a".repeat(32)}`;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bot(options: TestBotOptions): Promise<TestBot> {
  const started = await startTestBot(options);
  cleanups.push(() => started.stop());
  return started;
}

/** The shop (two menus: main, the default, and VIP) beside a plugin that declares none. */
function plugins() {
  const shop = shopDir();
  cleanups.push(shop.remove);
  writeFileSync(join(shop.dir, "bystander.ts"), BYSTANDER);
  return shop;
}

/** The rich menu calls that reached the stand-in with the channel's token, and succeeded. */
const callsIn = (line: LineStandIn, channel: string, path = "richmenu") =>
  line.requests.filter(
    (request) => request.channel === channel && request.path.includes(path) && request.status < 300,
  );

const creates = (line: LineStandIn, channel: string) =>
  callsIn(line, channel).filter(
    (request) => request.method === "POST" && request.path === "/v2/bot/richmenu",
  );

const bars = (line: LineStandIn, channel: string) =>
  line
    .richMenusIn(channel)
    .map((menu) => menu.menu.chatBarText)
    .sort();

async function say(b: TestBot, channel: string, text: string): Promise<string[]> {
  const sent = event.text(text, { chat: user(alice) });
  if (channel === "default") await b.deliver(sent);
  else {
    expect((await b.channels.send(channel, sent)).status).toBe(200);
    await b.settle();
  }
  return (b.repliesTo(sent) as Array<{ text?: string }>).map((message) => message.text ?? "");
}

describe("rich menus in several channels", () => {
  test("made in each channel that runs the plugin, with its token; none where it does not run", async () => {
    const shop = plugins();
    const b = await bot({
      pluginsDir: shop.dir,
      channels: { shop: {}, support: { plugins: ["bystander"] } },
    });
    for (const channel of ["default", "shop"]) {
      expect(bars(b.line, channel)).toEqual(["Shop", "VIP"]);
      expect(creates(b.line, channel)).toHaveLength(2);
      // The alias and the default are the channel's own, pointing at its own menu.
      const main = b.line.richMenuByAlias("shop-main", channel);
      expect(main?.menu.chatBarText).toBe("Shop");
      expect(b.line.defaultRichMenuIdIn(channel)).toBe(main?.richMenuId as string);
      expect(main?.image).toBeDefined();
    }
    const ids = (channel: string) => b.line.richMenusIn(channel).map((menu) => menu.richMenuId);
    expect(ids("shop").some((id) => ids("default").includes(id))).toBe(false);
    // Support runs the bystander only: not one rich menu call went with its token.
    expect(b.line.richMenusIn("support")).toEqual([]);
    expect(callsIn(b.line, "support")).toEqual([]);
    expect(await say(b, "support", "ping")).toEqual(["pong"]);
  }, 20_000);

  test("ctx.richMenu in a channel's event links and unlinks there, with its token", async () => {
    const shop = plugins();
    const b = await bot({ pluginsDir: shop.dir, channels: { shop: {} } });
    expect(await say(b, "shop", "vip")).toEqual(["welcome, VIP"]);
    const vip = b.line.richMenuByAlias("shop-vip", "shop");
    expect(b.line.richMenuOf(alice, "shop")?.richMenuId).toBe(vip?.richMenuId as string);
    const link = callsIn(b.line, "shop", `/v2/bot/user/${alice}/richmenu/`).at(-1);
    expect(link?.path).toBe(`/v2/bot/user/${alice}/richmenu/${vip?.richMenuId}`);
    expect(callsIn(b.line, "default", `/v2/bot/user/${alice}/richmenu`)).toEqual([]);
    // The same user id in the default channel is another user: still on the default menu.
    expect(b.line.richMenuOf(alice)?.menu.chatBarText).toBe("Shop");
    expect(await say(b, "default", "plain")).toEqual(["unlinked: false"]);
    expect(await say(b, "shop", "plain")).toEqual(["unlinked: true"]);
    expect(b.line.richMenuOf(alice, "shop")?.menu.chatBarText).toBe("Shop");
    expect(callsIn(b.line, "shop", `/v2/bot/user/${alice}/richmenu`).at(-1)?.method).toBe("DELETE");
  }, 20_000);

  test("a channel added while running gets the menus; changed, it loses them; removed, it keeps them", async () => {
    const shop = plugins();
    const b = await bot({ pluginsDir: shop.dir });
    await b.channels.add("popup");
    await b.line.waitFor((line) => line.richMenusIn("popup").filter((m) => m.image).length === 2);
    expect(bars(b.line, "popup")).toEqual(["Shop", "VIP"]);
    expect(await say(b, "popup", "vip")).toEqual(["welcome, VIP"]);
    expect(b.line.richMenuOf(alice, "popup")?.menu.chatBarText).toBe("VIP");

    // Removed: no longer synced, its menus left at LINE; back again, nothing is made twice.
    await b.channels.remove("popup");
    expect(bars(b.line, "popup")).toEqual(["Shop", "VIP"]);
    await b.channels.add("popup");
    expect(await say(b, "popup", "menu main")).toEqual(["linked main"]);
    expect(creates(b.line, "popup")).toHaveLength(2);

    // Limited to another plugin: the shop's menus there go.
    await b.channels.add("popup", { plugins: ["bystander"] });
    await b.line.waitFor((line) => line.richMenusIn("popup").length === 0);
    expect(b.line.defaultRichMenuIdIn("popup")).toBeUndefined();
    expect(b.line.richMenuByAlias("shop-main", "popup")).toBeUndefined();
    // The default channel's were never touched.
    expect(bars(b.line, "default")).toEqual(["Shop", "VIP"]);
  }, 20_000);

  test("a restart on the same data and LINE makes no rich menu call in any channel", async () => {
    const shop = plugins();
    const data = mkdtempSync(join(tmpdir(), "hotline-richmenus-"));
    cleanups.push(() => rmSync(data, { recursive: true, force: true }));
    const first = await bot({ pluginsDir: shop.dir, dataDir: data, channels: { shop: {} } });
    expect(creates(first.line, "shop")).toHaveLength(2);
    await first.stop();
    first.line.reset();
    const second = await bot({
      pluginsDir: shop.dir,
      dataDir: data,
      line: first.line,
      channels: { shop: {} },
    });
    expect(second.line.requests.filter((request) => request.path.includes("richmenu"))).toEqual([]);
    expect(await say(second, "shop", "vip")).toEqual(["welcome, VIP"]);
    expect(bars(second.line, "shop")).toEqual(["Shop", "VIP"]);
  }, 20_000);
});
