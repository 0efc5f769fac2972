/**
 * Rich menus LINE would refuse fail their plugin's load, with a message naming the rule, before
 * anything is sent to LINE; the other plugins load and sync theirs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPluginsDir, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";
import { samplePng } from "../e2e/png.ts";

/** A plugin declaring one menu, "main", from `menu` (its image: `<name>.png`, 800×270). */
const plugin = (name: string, menu: string) => `import { definePlugin, z } from "hotline";
export default definePlugin({
  name: "${name}",
  postbacks: { open: { data: z.object({ id: z.number() }), handle: () => {} } },
  richMenus: {
    main: {
      chatBarText: "Menu",
      image: new URL("./${name}.png", import.meta.url),
      ${menu}
    },
  },
});
`;
const area = (bounds: string, action = '{ type: "message", text: "hi" }') =>
  `areas: [{ bounds: ${bounds}, action: ${action} }],`;
const SIZE = "size: { width: 800, height: 270 },";
const FULL = "{ x: 0, y: 0, width: 800, height: 270 }";

const broken: Record<string, string> = {
  "out-of-bounds": `${SIZE} ${area("{ x: 100, y: 0, width: 800, height: 270 }")}`,
  "too-wide": `size: { width: 3000, height: 270 }, ${area(FULL)}`,
  "too-tall": `size: { width: 800, height: 600 }, ${area(FULL)}`,
  "no-areas": `${SIZE} areas: [],`,
  "long-bar": `${SIZE} ${area(FULL)} chatBarText: "a chat bar text too long",`,
  "bad-alias": `${SIZE} ${area(FULL)} alias: "Main Menu",`,
  "unknown-route": `${SIZE} ${area(FULL, '{ route: "close", data: {} }')}`,
  "bad-route-data": `${SIZE} ${area(FULL, '{ route: "open", data: { id: "one" } }')}`,
  "alias-taken": `${SIZE} ${area(FULL)} alias: "good-main",`,
  "second-default": `${SIZE} ${area(FULL)} default: true,`,
};
/** Plugins whose images do not fit their menus. */
const badImages: Record<string, Uint8Array> = {
  "image-size": samplePng(1200, 405),
  "not-an-image": new TextEncoder().encode("GIF89a, or anything that is not PNG or JPEG"),
};

let bot: TestBot;
const plugins = createPluginsDir();
beforeAll(async () => {
  const png = samplePng(800, 270);
  const image = (name: string, bytes: Uint8Array = png) =>
    writeFileSync(join(plugins.dir, `${name}.png`), bytes);
  plugins.write(
    "good.ts",
    plugin("good", `${SIZE} ${area(FULL)} alias: "good-main", default: true,`),
  );
  image("good");
  // "good" loads first: the others then find its alias and its default taken.
  bot = await startTestBot({ pluginsDir: plugins.dir });
  for (const [name, menu] of Object.entries(broken)) {
    plugins.write(`${name}.ts`, plugin(name, menu));
    image(name, name === "too-wide" ? samplePng(3000, 270) : png);
  }
  for (const [name, bytes] of Object.entries(badImages)) {
    plugins.write(`${name}.ts`, plugin(name, `${SIZE} ${area(FULL)}`));
    image(name, bytes);
  }
  plugins.write("missing-image.ts", plugin("missing-image", `${SIZE} ${area(FULL)}`));
  await bot.hotline.plugins.reload([]);
}, 20_000);
afterAll(async () => {
  await bot.stop();
  plugins.remove();
});

const errorOf = (name: string) =>
  bot.hotline.plugins.statuses().find((status) => status.file === `${name}.ts`)?.error;

describe("rich menus LINE would refuse fail the load", () => {
  test("each names the menu and the rule", () => {
    expect(errorOf("out-of-bounds")).toBe(
      'rich menu "main": areas[0].bounds: 900x270 outside 800x270 (LINE: The area must be within the rich menu)',
    );
    expect(errorOf("too-wide")).toBe(
      'rich menu "main": size.width: 3000 > 2500 (LINE: Must be between 800 and 2500)',
    );
    expect(errorOf("too-tall")).toContain(
      'rich menu "main": size: 800x600 is narrower than 1.45:1 (LINE: width / height must be at least 1.45)',
    );
    expect(errorOf("no-areas")).toBe(
      'rich menu "main": areas: 0 < 1 (LINE: Size must be between 1 and 20)',
    );
    expect(errorOf("long-bar")).toBe(
      'rich menu "main": chatBarText: 24 > 14 (LINE: Length must be between 0 and 14)',
    );
    expect(errorOf("bad-alias")).toBe(
      "invalid plugin declaration: richMenus.main.alias: must be 1 to 32 of a-z, 0-9, _ and - (LINE's rule for alias ids)",
    );
    expect(errorOf("unknown-route")).toBe(
      'rich menu "main": areas[0].action: unknown-route has no postback route "close"',
    );
    expect(errorOf("bad-route-data")).toContain(
      'rich menu "main": areas[0].action: postback data for "open":',
    );
  });

  test("an image that is not the menu's size, or not a PNG or JPEG, or not there", () => {
    expect(errorOf("image-size")).toBe(
      `rich menu "main": the image is 1200x405, the menu 800x270: LINE takes only an image of the menu's size`,
    );
    expect(errorOf("not-an-image")).toBe(
      `rich menu "main": the image must be a PNG or a JPEG (LINE's rule)`,
    );
    expect(errorOf("missing-image")).toStartWith('rich menu "main": cannot read the image');
  });

  test("an alias or the default another plugin declares", () => {
    expect(errorOf("alias-taken")).toBe('rich menu "main": alias "good-main" is plugin good\'s');
    expect(errorOf("second-default")).toBe(
      'rich menu "main": plugin good declares the default already',
    );
  });

  test("nothing of theirs reached LINE; the good plugin's menu did", () => {
    expect(bot.line.richMenus.map((menu) => String(menu.menu.name))).toEqual([
      expect.stringMatching(/^hotline good\/main /),
    ]);
    expect(bot.line.requests.filter((r) => r.path.endsWith("/validate"))).toEqual([]);
  });
});
