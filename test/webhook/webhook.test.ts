import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { envelope, event, startTestBot, type TestBot } from "../../src/testing/mod.ts";

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({ plugins: ["plugins/echo.ts"] });
});
afterAll(() => bot.stop());

describe("POST /webhook", () => {
  test("a signed text event is acked 200 and echoed through the LINE API", async () => {
    const text = event.text("hello");
    const response = await bot.send(text);
    expect(response.status).toBe(200);
    expect(await bot.waitForReply(text)).toEqual([{ type: "text", text: "hello" }]);
  });

  test("a forged signature gets 401 and stores nothing", async () => {
    const body = JSON.stringify(envelope([event.text("forged")]));
    const response = await bot.post(body, {
      signature: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toContain("invalid x-line-signature");
    await bot.settle();
    expect(bot.sentTexts()).not.toContain("forged");
  });
});
