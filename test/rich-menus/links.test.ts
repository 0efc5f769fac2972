/**
 * `ctx.richMenu` links and unlinks a plugin's own menus; the host makes every rich menu call with
 * the channel's token, the worker none; an image may come from the plugin's `ctx.files`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { event, startTestBot, type TestBot, user } from "../../src/dev/testing/mod.ts";
import { samplePng } from "../e2e/png.ts";
import { sample, scrape } from "../metrics/prom.ts";
import { shopDir, shopSource } from "./shop.ts";

const alice = `U${"a".repeat(32)}`;
const bob = `U${"b".repeat(32)}`;

/**
 * A plugin whose menu's image is in its ctx.files, put there by its setup; it notes every request
 * its worker sends (the host's calls never pass through it).
 */
function filesPlugin(png: Uint8Array): string {
  const sha256 = createHash("sha256").update(png).digest("hex");
  return `import { definePlugin } from "hotline";
const sent = [];
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const request = new Request(input, init);
  sent.push(request.url);
  return realFetch(input, init);
};
const PNG = "${Buffer.from(png).toString("base64")}";
export default definePlugin({
  name: "gallery",
  async setup(ctx) {
    const bytes = Uint8Array.from(atob(PNG), (c) => c.charCodeAt(0));
    await ctx.files.put(new Blob([bytes]).stream());
  },
  commands: {
    sent: { description: "What the worker sent", handle: async (_a, _e, ctx) => { await ctx.reply(JSON.stringify(sent)); } },
    gallery: {
      description: "Links the gallery",
      handle: async (_a, event, ctx) => {
        await ctx.richMenu.link(event.source.userId, "gallery");
        await ctx.reply("linked");
      },
    },
  },
  richMenus: {
    gallery: {
      size: { width: 800, height: 270 },
      chatBarText: "Gallery",
      image: { sha256: "${sha256}" },
      areas: [{ bounds: { x: 0, y: 0, width: 800, height: 270 }, action: { type: "message", label: "Hi", text: "hi" } }],
    },
  },
});
`;
}

let bot: TestBot;
const shop = shopDir();
beforeAll(async () => {
  // Beside the shop: a second shop (its menus its own), and a plugin with its image in ctx.files.
  bot = await startTestBot({ pluginsDir: shop.dir });
  mkdirSync(join(shop.dir, "club"));
  writeFileSync(join(shop.dir, "club/main.png"), samplePng(800, 270, 10));
  writeFileSync(join(shop.dir, "club/vip.png"), samplePng(800, 270, 20));
  const source = shopSource({
    name: "club",
    alias: "club-main",
    default: false,
    commandPrefix: "club-",
  });
  writeFileSync(join(shop.dir, "club/index.ts"), source);
  writeFileSync(join(shop.dir, "gallery.ts"), filesPlugin(samplePng(800, 270, 30)));
  await bot.hotline.plugins.reload([]);
}, 20_000);
afterAll(async () => {
  await bot.stop();
  shop.remove();
});

async function say(userId: string, text: string): Promise<string[]> {
  const sent = event.text(text, { chat: user(userId) });
  await bot.deliver(sent);
  return (bot.repliesTo(sent) as Array<{ text?: string }>).map((message) => message.text ?? "");
}
const seenBy = (userId: string) => bot.line.richMenuOf(userId)?.menu.chatBarText;

describe("ctx.richMenu", () => {
  test("link shows the plugin's menu to the user; unlink takes it back to the default", async () => {
    expect(seenBy(alice)).toBe("Shop");
    expect(await say(alice, "vip")).toEqual(["welcome, VIP"]);
    expect(seenBy(alice)).toBe("VIP");
    expect(bot.line.richMenuOf(alice)?.richMenuId).toBe(
      bot.line.richMenuByAlias("shop-vip")?.richMenuId as string,
    );
    expect(await say(alice, "plain")).toEqual(["unlinked: true"]);
    expect(seenBy(alice)).toBe("Shop");
    // Unlinked already: nothing of the plugin's to take away.
    expect(await say(alice, "plain")).toEqual(["unlinked: false"]);
  });

  test("a plugin cannot unlink another plugin's menu, nor link one it does not declare", async () => {
    expect(await say(bob, "club-vip")).toEqual(["welcome, VIP"]);
    const clubVip = bot.line.richMenuByAlias("club-vip")?.richMenuId;
    expect(bot.line.richMenuOf(bob)?.richMenuId).toBe(clubVip as string);
    // The shop's unlink leaves the club's menu be.
    expect(await say(bob, "plain")).toEqual(["unlinked: false"]);
    expect(bot.line.richMenuOf(bob)?.richMenuId).toBe(clubVip as string);
    expect(await say(bob, "menu lobby")).toEqual([
      'refused: plugin shop declares no rich menu "lobby" (it declares "main", "vip")',
    ]);
    // A link replaces the one before, whoever made it; then the club's unlink has nothing to do.
    expect(await say(bob, "menu main")).toEqual(["linked main"]);
    expect(bot.line.richMenuOf(bob)?.richMenuId).toBe(
      bot.line.richMenuByAlias("shop-main")?.richMenuId as string,
    );
    expect(await say(bob, "club-plain")).toEqual(["unlinked: false"]);
  });

  test("an image from ctx.files, put there by setup", async () => {
    const gallery = bot.line.richMenus.find((menu) => menu.menu.chatBarText === "Gallery");
    expect(gallery?.image?.bytes).toEqual(samplePng(800, 270, 30));
    expect(await say(alice, "gallery")).toEqual(["linked"]);
    expect(seenBy(alice)).toBe("Gallery");
  });

  test("every rich menu call is the host's: none passed through a plugin's worker", async () => {
    const [workerSent = "[]"] = await say(alice, "sent");
    const urls = JSON.parse(workerSent) as string[];
    expect(urls.filter((url) => url.includes("richmenu"))).toEqual([]);
    const metrics = await scrape(bot.url);
    const calls = (caller: string) =>
      sample(metrics, "hotline_line_api_calls_total", {
        caller,
        endpoint: "richmenu",
        status: "2xx",
      });
    expect(calls("host")).toBeGreaterThan(0);
    for (const plugin of ["shop", "club", "gallery"]) expect(calls(plugin)).toBeUndefined();
  });
});
