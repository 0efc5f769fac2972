/**
 * The snippets of docs/testing.md that use the example plugins, run as written: each region
 * between `// docs:begin <name>` and `// docs:end <name>` is a code block of the docs
 * (docs-in-sync.test.ts keeps the two equal).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPluginsDir, event, startTestBot, type TestBot } from "hotline/testing";

const BARISTA = new URL("./examples/barista.ts", import.meta.url);
const NOTES = new URL("./examples/notes.ts", import.meta.url);
const CAFE = new URL("./examples/cafe.ts", import.meta.url);

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({ plugins: [BARISTA] });
});
afterAll(() => bot.stop());

test("tap", async () => {
  // docs:begin tap
  const order = event.text("order latte");
  await bot.deliver(order);
  const tap = await bot.tap(order, "M"); // a postback with the button's data, from the same chat
  expect(bot.repliesTo(tap)).toEqual([{ type: "text", text: "One M latte coming up." }]);

  await bot.tap(order, "Pick-up time", { params: { time: "08:30" } }); // a picker needs the choice
  await expect(bot.tap(order, "XL")).rejects.toThrow('labels: "S", "M", "L", "Pick-up time"');
  // docs:end tap
});

test("storedEvents and storedCount", async () => {
  const before = await bot.storedCount();
  // docs:begin stored
  const hello = event.text("hello");
  await bot.deliver(hello);
  const [stored] = await bot.storedEvents([hello.webhookEventId]);
  expect(stored).toMatchObject({ id: hello.webhookEventId, type: "message", status: "done" });
  expect(JSON.parse(stored?.body ?? "{}").message.text).toBe("hello");
  // docs:end stored
  expect(await bot.storedCount()).toBe(before + 1);
});

test("a restart on the same data directory", async () => {
  // docs:begin restart
  const dataDir = mkdtempSync(join(tmpdir(), "notes-test-"));
  const first = await startTestBot({ plugins: [NOTES], dataDir });
  await first.deliver(event.text("note buy milk"));
  await first.stop(); // the data directory stays: it was given

  const second = await startTestBot({ plugins: [NOTES], dataDir });
  const again = event.text("note call mum");
  await second.deliver(again);
  expect(second.repliesTo(again)).toEqual([{ type: "text", text: "Noted (2 so far)." }]);
  await second.stop();
  rmSync(dataDir, { recursive: true, force: true });
  // docs:end restart
});

test("a plugin written and reloaded by the test", async () => {
  // docs:begin reload
  const dir = createPluginsDir();
  const scratch = await startTestBot({ pluginsDir: dir.dir });
  const file = dir.write(
    "weather.ts",
    `import { definePlugin } from "hotline";
export default definePlugin({
  name: "weather",
  commands: { forecast: { description: "tomorrow's weather", handle: (_a, _e, ctx) => ctx.reply("sunny") } },
});
`,
  );
  await scratch.hotline.plugins.reload([file]); // what the watcher does after a write
  const ask = event.text("forecast");
  await scratch.deliver(ask);
  expect(scratch.repliesTo(ask)).toEqual([{ type: "text", text: "sunny" }]);
  await scratch.stop();
  dir.remove();
  // docs:end reload
});

test("rich menus: a tap, and a restart", async () => {
  const userId = `U${"c".repeat(32)}`;
  // docs:begin rich-menus
  const cafe = await startTestBot({ plugins: [CAFE] });
  const tap = await cafe.tapRichMenu(userId, "Drinks"); // the default menu's area
  expect(cafe.repliesTo(tap)).toEqual([{ type: "text", text: "Latte, tea, lemonade." }]);

  cafe.line.reset(); // what LINE recorded goes; what it holds (the menus) stays
  await cafe.restart(); // the same data and LINE: nothing to sync
  expect(cafe.line.requests.filter((r) => r.path.includes("richmenu"))).toEqual([]);
  await cafe.stop();
  // docs:end rich-menus
}, 20_000);
