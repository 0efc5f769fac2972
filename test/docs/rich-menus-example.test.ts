/**
 * The rich menu example of docs/authoring.md (test/docs/examples/cafe.ts), run as a reader would
 * run it: what the docs say its menus do is what they do.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { event, startTestBot, type TestBot, user } from "hotline/testing";

const CAFE = new URL("./examples/cafe.ts", import.meta.url);
const ann = `U${"a0".repeat(16)}`;

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({ plugins: [CAFE] });
});
afterAll(() => bot.stop());

const texts = (sent: { replyToken?: string | null }) =>
  (bot.repliesTo(sent) as Array<{ text?: string }>).map((message) => message.text);

describe("Rich menus: cafe", () => {
  test("the default menu's areas reach the route with their data", async () => {
    expect(bot.line.richMenuOf(ann)?.menu.chatBarText).toBe("Menu");
    expect(texts(await bot.tapRichMenu(ann, "Drinks"))).toEqual(["Latte, tea, lemonade."]);
    expect(texts(await bot.tapRichMenu(ann, "Food"))).toEqual(["Toast, soup, cake."]);
  });

  test("`regular` links the regulars' menu; its switch area shows the full menu again", async () => {
    const regular = event.text("regular", { chat: user(ann) });
    await bot.deliver(regular);
    expect(texts(regular)).toEqual(["Welcome back! Your menu is below."]);
    expect(bot.line.richMenuOf(ann)?.menu.chatBarText).toBe("Regulars");
    expect(texts(await bot.tapRichMenu(ann, "The usual"))).toEqual(["Latte, tea, lemonade."]);
    await bot.tapRichMenu(ann, "Full menu");
    expect(bot.line.richMenuOf(ann)?.menu.chatBarText).toBe("Menu");
  });
});
