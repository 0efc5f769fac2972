/**
 * reminder end to end through signed webhooks, the LINE stand-in and the manual clock: the command
 * and its confirmation, the Cancel button, the list, the "remind me" dialog, time zones, groups,
 * and a reminder pushed once across a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { event, group, startTestBot, type TestBot, user } from "../../src/dev/testing/mod.ts";

// 2026-03-07 23:00 UTC: New York is on standard time until 2026-03-08 07:00 UTC.
const START = Date.UTC(2026, 2, 7, 23, 0);
const MINUTE = 60_000;

let bot: TestBot;
beforeAll(async () => {
  // The folder, not its index.ts: a link to index.ts alone leaves when.ts behind on Deno, which
  // resolves a module's imports beside the link (Bun follows it to the real file).
  const files = ["plugins/reminder/", "plugins/echo.ts", "plugins/mention-responder.ts"];
  const plugins = files.map((path) => new URL(`../../${path}`, import.meta.url));
  bot = await startTestBot({ plugins, now: START });
});
afterAll(() => bot.stop());

let chats = 0;
const fresh = (prefix = "U") => `${prefix}${(++chats).toString(16).padStart(32, "0")}`;
type Chat = ReturnType<typeof user> | ReturnType<typeof group>;
const texts = (messages: unknown[]) => (messages as Array<{ text?: string }>).map((m) => m.text);
async function say(text: string, chat: Chat) {
  const inGroup = "groupId" in chat;
  const mention = inGroup ? { mention: [{ at: "@Hotline", isSelf: true }] } : {};
  const sent = event.text(inGroup ? `@Hotline ${text}` : text, { chat, ...mention });
  await bot.deliver(sent);
  return sent;
}
const replies = async (text: string, chat: Chat) => texts(bot.repliesTo(await say(text, chat)));
const at = (ms: number) => new Date(ms).toISOString().slice(11, 16);

describe("in a 1:1 chat", () => {
  test("confirms at once with a Cancel button, and pushes the text when due, once", async () => {
    const id = fresh();
    const sent = await say("remind me in 10 minutes to drink tea", user(id));
    const [confirmation] = bot.repliesTo(sent) as Array<{ text: string; quickReply?: unknown }>;
    expect(confirmation?.text).toBe(`OK, at ${at(bot.clock.now() + 10 * MINUTE)} (UTC): drink tea`);
    expect(JSON.stringify(confirmation?.quickReply)).toContain('"label":"Cancel"');
    await bot.advance(10 * MINUTE - 1000);
    expect(bot.pushesTo(id)).toEqual([]);
    await bot.advance(1000);
    expect(texts(bot.pushesTo(id))).toEqual(["⏰ drink tea"]);
    await bot.advance(60 * MINUTE);
    expect(texts(bot.pushesTo(id))).toEqual(["⏰ drink tea"]);
  });

  test("Cancel cancels it; a second tap says it is gone", async () => {
    const id = fresh();
    const sent = await say("remind me in 2 hours to call mum", user(id));
    expect(texts(bot.repliesTo(await bot.tap(sent, "Cancel")))).toEqual(["Cancelled."]);
    await bot.advance(3 * 60 * MINUTE);
    expect(bot.pushesTo(id)).toEqual([]);
    expect(texts(bot.repliesTo(await bot.tap(sent, "Cancel")))).toEqual([
      "That reminder already went off or was cancelled.",
    ]);
  });

  test("reminders lists this chat's, soonest first; echo echoes none of these", async () => {
    const chat = user(fresh());
    expect(await replies("reminders", chat)).toEqual(["No reminders."]);
    await say("remind me in 3 hours to b", chat);
    await say("remind me in 1 hour to a", chat);
    const now = bot.clock.now();
    expect(await replies("reminders", chat)).toEqual([
      `${at(now + 60 * MINUTE)} a\n${at(now + 180 * MINUTE)} b`,
    ]);
    expect(await replies("remind me tomorrow to c", chat)).toEqual([
      expect.stringMatching(/^Sorry, I did not get that\. Try: remind me in <n>/),
    ]);
  });

  test("“remind me” alone asks when and what, across a restart", async () => {
    const id = fresh();
    const chat = user(id);
    expect(await replies("remind me", chat)).toEqual(["When? (in 10 minutes, at 14:30)"]);
    expect(await replies("soonish", chat)).toEqual([
      "Say “in 10 minutes” or “at 14:30”.",
      "When? (in 10 minutes, at 14:30)",
    ]);
    expect(await replies("in 5 minutes", chat)).toEqual(["What should I remind you of?"]);
    await bot.restart();
    const [confirmation] = await replies("stretch", chat);
    expect(confirmation).toContain(": stretch");
    await bot.advance(5 * MINUTE);
    expect(texts(bot.pushesTo(id))).toEqual(["⏰ stretch"]);
  });

  test("“at HH:MM” is the next such time in the user's time zone, daylight saving included", async () => {
    const id = fresh();
    const chat = user(id);
    expect(await replies("timezone Mars/Olympus", chat)).toEqual([
      "That is not a time zone I know: try Asia/Tokyo.\nUsage: timezone <Area/City>",
    ]);
    expect(await replies("timezone America/New_York", chat)).toEqual([
      "Your time zone is America/New_York.",
    ]);
    // Now is 18:00 in New York (EST); 03:00 is tomorrow, after the clocks went forward (EDT).
    const now = bot.clock.now();
    const due = Date.UTC(2026, 2, 8, 7, 0) + Math.floor((now - START) / 86_400_000) * 86_400_000;
    expect(await replies("remind me at 03:00 to water the plants", chat)).toEqual([
      "OK, at 03:00 (America/New_York): water the plants",
    ]);
    await bot.advance(due - now - 1000);
    expect(bot.pushesTo(id)).toEqual([]);
    await bot.advance(1000);
    expect(texts(bot.pushesTo(id))).toEqual(["⏰ water the plants"]);
  });
});

describe("in a group", () => {
  test("when the bot is mentioned, and the reminder goes to the group", async () => {
    const groupId = fresh("C");
    const sent = await say("remind me in 1 minute to stand up", group(groupId, fresh()));
    expect(texts(bot.repliesTo(sent))[0]).toContain(": stand up");
    const unaddressed = event.text("remind me in 1 minute to sit down", {
      chat: group(groupId, fresh()),
    });
    await bot.deliver(unaddressed);
    await bot.expectNoReply(unaddressed);
    await bot.advance(MINUTE);
    expect(texts(bot.pushesTo(groupId))).toEqual(["⏰ stand up"]);
  });
});

test("a reminder due while the bot was down is pushed once when it is back", async () => {
  const id = fresh();
  await say("remind me in 30 seconds to breathe", user(id));
  // The clock passes the due time with nothing woken to run it: as if the bot were down.
  bot.clock.advance(30_000);
  expect(bot.pushesTo(id)).toEqual([]);
  await bot.restart();
  expect(texts(bot.pushesTo(id))).toEqual(["⏰ breathe"]);
  await bot.restart();
  await bot.advance(60_000);
  expect(texts(bot.pushesTo(id))).toEqual(["⏰ breathe"]);
});

describe("settings", () => {
  test("maxPerChat bounds what one chat can keep waiting; the default zone is a setting", async () => {
    const plugin = new URL("../../plugins/reminder/", import.meta.url);
    const settings = { reminder: { maxPerChat: 1, timeZone: "Asia/Tokyo" } };
    const small = await startTestBot({ plugins: [plugin], settings, now: START });
    try {
      const chat = user(fresh());
      const first = event.text("remind me at 09:00 to a", { chat });
      const second = event.text("remind me in 1 hour to b", { chat });
      await small.deliver(first);
      await small.deliver(second);
      expect(texts(small.repliesTo(first))).toEqual(["OK, at 09:00 (Asia/Tokyo): a"]);
      expect(texts(small.repliesTo(second))).toEqual([
        "This chat has 1 reminders waiting already.",
      ]);
    } finally {
      await small.stop();
    }
  });

  test("a time zone that is not one keeps the plugin from loading, naming the setting", async () => {
    const plugin = new URL("../../plugins/reminder/", import.meta.url);
    const settings = { reminder: { timeZone: "Mars/Olympus" } };
    const broken = await startTestBot({ plugins: [plugin], settings });
    try {
      const [status] = broken.hotline.plugins.statuses();
      expect(status?.error).toContain("timeZone");
    } finally {
      await broken.stop();
    }
  });
});
