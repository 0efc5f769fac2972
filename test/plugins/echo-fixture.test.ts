import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startTestBot, type TestBot } from "hotline/testing";

// A real conversation, made a regression test with one command:
//   bun run export-fixture --chat user:U… --anonymize --out test/plugins/fixtures/echo-chat.json
const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/echo-chat.json", import.meta.url), "utf8"),
);

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({ plugins: ["plugins/echo.ts"] });
});
afterAll(() => bot?.stop());

test("echo answers the recorded chat as it did then", async () => {
  const result = await bot.replay(fixture);
  expect(result.actual).toEqual(result.expected);
});
