import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { event, group, room, startTestBot, type TestBot, user } from "hotline/testing";

const PLUGIN = "plugins/echo.ts";
const DEFAULT_UNSENDABLE_REPLY =
  "I can't send that sticker back: bots may only send LINE's basic stickers.";

// Each test talks in its own chat, so "nothing was sent to this chat" is about that test alone.
let chats = 0;
const nextId = () => (++chats).toString(16).padStart(32, "0");
const freshUser = () => user(`U${nextId()}`);
const freshGroup = () => group(`C${nextId()}`);
const freshRoom = () => room(`R${nextId()}`);

describe("echo with default settings", () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ plugins: [PLUGIN] });
  });
  afterAll(() => bot?.stop());

  test("a text is echoed exactly, in one reply", async () => {
    const sent = event.text("  Hello,\nworld!  ", { chat: freshUser() });
    await bot.deliver(sent);
    expect(bot.repliesTo(sent)).toEqual([{ type: "text", text: "  Hello,\nworld!  " }]);
    expect(bot.line.replies.filter((r) => r.replyToken === sent.replyToken)).toHaveLength(1);
  });

  test("mentions and LINE emojis come back as the plain text received", async () => {
    const text = "@Alice see you (love) 👋 $";
    const sent = event.text(text, {
      chat: freshUser(),
      mention: [{ at: "@Alice" }],
      emojis: [{ index: 15, length: 6, productId: "5ac1bfd5040ab15980c9b435", emojiId: "001" }],
    });
    await bot.deliver(sent);
    // Exactly the text: no emojis, substitution or mention objects, no quote.
    expect(bot.repliesTo(sent)).toEqual([{ type: "text", text }]);
  });

  test("a text longer than LINE's 5,000 limit is sent in pieces, never cutting an emoji", async () => {
    // The 5,000th code unit is the first half of the emoji: the first piece stops before it.
    const text = `${"a".repeat(4999)}😀${"b".repeat(3000)}`;
    const sent = event.text(text, { chat: freshUser() });
    await bot.deliver(sent);
    const pieces = bot.repliesTo(sent) as Array<{ type: string; text: string }>;
    expect(pieces.map((m) => m.type)).toEqual(["text", "text"]);
    expect(pieces.map((m) => m.text.length)).toEqual([4999, 3002]);
    expect(pieces.map((m) => m.text).join("")).toBe(text);
  });

  test("a basic LINE sticker is echoed as the same sticker", async () => {
    const still = event.sticker("446", "1988", { chat: freshUser() });
    const animated = event.sticker("11537", "52002734", {
      chat: freshUser(),
      stickerResourceType: "ANIMATION",
    });
    await bot.deliver(still, animated);
    expect(bot.repliesTo(still)).toEqual([
      { type: "sticker", packageId: "446", stickerId: "1988" },
    ]);
    expect(bot.repliesTo(animated)).toEqual([
      { type: "sticker", packageId: "11537", stickerId: "52002734" },
    ]);
  });

  test("a sticker bots may not send is answered with a short text", async () => {
    const fromStore = event.sticker("1234567", "98765432", { chat: freshUser() });
    // LINE reports every "Sticker Arranging" message as this sticker (Messaging API reference).
    const arranged = event.sticker("30563", "651698630", { chat: freshUser() });
    await bot.deliver(fromStore, arranged);
    expect(bot.repliesTo(fromStore)).toEqual([{ type: "text", text: DEFAULT_UNSENDABLE_REPLY }]);
    expect(bot.repliesTo(arranged)).toEqual([{ type: "text", text: DEFAULT_UNSENDABLE_REPLY }]);
  });

  test("group and room chats are ignored", async () => {
    const events = [
      event.text("hello group", { chat: freshGroup() }),
      event.sticker("446", "1988", { chat: freshGroup() }),
      event.text("hello room", { chat: freshRoom() }),
      event.sticker("446", "1988", { chat: freshRoom() }),
    ];
    await bot.deliver(...events);
    for (const sent of events) {
      // Delivered to echo (it decides by its settings), and echo stayed silent.
      expect((await bot.deliveries(sent.webhookEventId)).map((d) => d.plugin)).toEqual(["echo"]);
      await bot.expectNoReply(sent);
    }
  });

  test("standby events are never delivered to echo, so never answered", async () => {
    const events = [
      event.text("hello", { chat: freshUser(), mode: "standby" }),
      event.sticker("446", "1988", { chat: freshUser(), mode: "standby" }),
    ];
    await bot.deliver(...events);
    for (const sent of events) {
      expect(await bot.deliveries(sent.webhookEventId)).toEqual([]);
      await bot.expectNoReply(sent);
    }
  });

  test("other message types and other events are not subscribed to", async () => {
    const events = [
      event.image({ chat: freshUser() }),
      event.video({ chat: freshUser() }),
      event.audio({ chat: freshUser() }),
      event.file("notes.txt", 120, { chat: freshUser() }),
      event.location(35.681236, 139.767125, { chat: freshUser(), title: "Tokyo Station" }),
      event.follow({ chat: freshUser() }),
      event.postback("action=buy", { chat: freshUser() }),
      event.messageEdited("hello again", { chat: freshUser() }),
    ];
    await bot.deliver(...events);
    for (const sent of events) {
      expect(await bot.deliveries(sent.webhookEventId)).toEqual([]);
      await bot.expectNoReply(sent);
    }
  });
});

describe("echo with settings", () => {
  test("answers in the chat types listed in `chats`, and only there", async () => {
    const bot = await startTestBot({
      plugins: [PLUGIN],
      settings: { echo: { chats: ["group", "room"] } },
    });
    try {
      const inGroup = event.text("hello group", { chat: freshGroup() });
      const inRoom = event.sticker("789", "10855", { chat: freshRoom() });
      const oneToOne = event.text("hello me", { chat: freshUser() });
      await bot.deliver(inGroup, inRoom, oneToOne);
      expect(bot.repliesTo(inGroup)).toEqual([{ type: "text", text: "hello group" }]);
      expect(bot.repliesTo(inRoom)).toEqual([
        { type: "sticker", packageId: "789", stickerId: "10855" },
      ]);
      await bot.expectNoReply(oneToOne);
    } finally {
      await bot.stop();
    }
  });

  test("`unsendableStickerReply` replaces the text, and null keeps echo silent", async () => {
    const custom = await startTestBot({
      plugins: [PLUGIN],
      settings: { echo: { unsendableStickerReply: "Cute! I can't send that one." } },
    });
    const silent = await startTestBot({
      plugins: [PLUGIN],
      settings: { echo: { unsendableStickerReply: null } },
    });
    try {
      const toCustom = event.sticker("1234567", "98765432", { chat: freshUser() });
      await custom.deliver(toCustom);
      expect(custom.repliesTo(toCustom)).toEqual([
        { type: "text", text: "Cute! I can't send that one." },
      ]);

      const unsendable = event.sticker("1234567", "98765432", { chat: freshUser() });
      const sendable = event.sticker("6136", "10551376", { chat: freshUser() });
      await silent.deliver(unsendable, sendable);
      expect((await silent.deliveries(unsendable.webhookEventId)).map((d) => d.plugin)).toEqual([
        "echo",
      ]);
      await silent.expectNoReply(unsendable);
      expect(silent.repliesTo(sendable)).toEqual([
        { type: "sticker", packageId: "6136", stickerId: "10551376" },
      ]);
    } finally {
      await Promise.all([custom.stop(), silent.stop()]);
    }
  });

  test("invalid settings keep the plugin from loading, with an error naming the field", async () => {
    const bot = await startTestBot({
      plugins: [PLUGIN],
      settings: { echo: { chats: ["user", "channel"], unsendableStickerReply: "" } },
    });
    try {
      const [status] = bot.hotline.plugins.statuses();
      expect(status?.state).toBe("failed");
      expect(status?.error).toContain("chats.1");
      expect(status?.error).toContain("unsendableStickerReply");
    } finally {
      await bot.stop();
    }
  });
});
