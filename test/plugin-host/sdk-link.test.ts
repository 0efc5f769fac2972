import { afterEach, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { event, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";

let bot: TestBot | undefined;
let dir: string | undefined;
afterEach(async () => {
  await bot?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  bot = undefined;
  dir = undefined;
});

test('a plugins directory outside the project can import "hotline"', async () => {
  dir = mkdtempSync(join(tmpdir(), "hotline-external-plugins-"));
  writeFileSync(
    join(dir, "shout.ts"),
    `import { definePlugin } from "hotline";
export default definePlugin({ name: "shout", on: { "message:text": (e, ctx) => ctx.reply(e.message.text.toUpperCase()) } });
`,
  );
  bot = await startTestBot({ pluginsDir: dir });
  expect(lstatSync(join(dir, "node_modules", "hotline")).isSymbolicLink()).toBe(true);
  const quiet = event.text("quiet please");
  await bot.deliver(quiet);
  expect(bot.repliesTo(quiet)).toEqual([{ type: "text", text: "QUIET PLEASE" }]);
});
