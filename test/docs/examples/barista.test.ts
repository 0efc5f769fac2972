import { afterAll, beforeAll, expect, test } from "bun:test";
import { event, group, startTestBot, type TestBot } from "hotline/testing";

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({ plugins: [new URL("./barista.ts", import.meta.url)] });
});
afterAll(() => bot.stop());

test("an order offers sizes; tapping one answers from the route", async () => {
  const order = event.text("order latte");
  await bot.deliver(order);
  expect(bot.repliesTo(order)).toMatchObject([{ type: "text", text: "Which size of latte?" }]);

  // Sends what LINE sends when the button labelled "M" is tapped, from the same chat.
  const tap = await bot.tap(order, "M");
  expect(bot.repliesTo(tap)).toEqual([{ type: "text", text: "One M latte coming up." }]);
});

test("the time picker's choice reaches the route", async () => {
  const order = event.text("order tea");
  await bot.deliver(order);
  const tap = await bot.tap(order, "Pick-up time", { params: { time: "08:30" } });
  expect(bot.repliesTo(tap)).toEqual([{ type: "text", text: "Your tea will be ready at 08:30." }]);
});

test("arguments that fail the schema get the reason and the usage", async () => {
  const order = event.text("order coffee");
  await bot.deliver(order);
  expect(bot.repliesTo(order)).toEqual([
    { type: "text", text: "we have latte and tea\nUsage: order <latte|tea>" },
  ]);
});

test("in a group, a command needs the bot's mention", async () => {
  const plain = event.text("order tea", { chat: group() });
  await bot.deliver(plain);
  await bot.expectNoReply(plain);

  const mentioned = event.text("@Hotline order tea", {
    chat: group(),
    mention: [{ at: "@Hotline", isSelf: true }],
  });
  await bot.deliver(mentioned);
  expect(bot.repliesTo(mentioned)).toMatchObject([{ text: "Which size of tea?" }]);
});
