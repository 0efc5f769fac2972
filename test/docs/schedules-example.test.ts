/**
 * The Schedules example of docs/authoring.md (docs-in-sync.test.ts keeps the docs' block equal to
 * the file), run as a reader would: it reminds, cancels, and keeps its stand-up to weekdays.
 */
import { afterEach, expect, test } from "bun:test";
import { event, startTestBot, type TestBot, user } from "hotline/testing";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test("the Schedules example reminds, cancels, and keeps its stand-up", async () => {
  // A Friday, 8:00 in New York.
  const bot: TestBot = await startTestBot({
    plugins: [new URL("./examples/reminders.ts", import.meta.url)],
    now: Date.UTC(2026, 5, 5, 12, 0),
  });
  cleanups.push(() => bot.stop());
  const chat = `U${"f".repeat(32)}`;
  const say = async (text: string) => {
    const sent = event.text(text, { chat: user(chat) });
    await bot.deliver(sent);
    return (bot.repliesTo(sent) as Array<{ text: string }>).map((m) => m.text);
  };
  await say("remind 10 tea");
  const [answer] = await say("remind 20 cake");
  const id = /cancel ([\w-]+)/.exec(answer ?? "")?.[1];
  expect(await say(`cancel ${id}`)).toEqual(["Cancelled."]);
  await bot.advance(30 * 60_000);
  expect(bot.pushesTo(chat)).toEqual([{ type: "text", text: "⏰ tea" }]);
  await bot.advance(3_600_000);
  await bot.advance(3 * 24 * 3_600_000);
  // Friday and Monday at 9:00; not the weekend.
  expect(bot.pushesTo("C0123456789abcdef0123456789abcdef")).toHaveLength(2);
});
