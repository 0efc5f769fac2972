import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BOT_USER_ID, event, group, room, startTestBot, type TestBot, user } from "hotline/testing";

const PLUGIN = "plugins/mention-responder.ts";
const OTHER_USER_ID = "U99999999999999999999999999999999";
const DEFAULT_UNKNOWN_REPLY =
  'Sorry, I don\'t know that one. Mention me with "help" to see what I can do.';

// Each test talks in its own chat, so "nothing was sent to this chat" is about that test alone.
let chats = 0;
const nextId = () => (++chats).toString(16).padStart(32, "0");
const freshGroup = () => group(`C${nextId()}`);
const freshRoom = () => room(`R${nextId()}`);

/** The bot as LINE mentions it: `isSelf: true` and the bot's user id. */
const BOT = { at: "@Hotline", isSelf: true };

type Sent = ReturnType<typeof event.text>;

/** The reply a test expects: one text, quoting the message it answers. */
const quoted = (sent: Sent, text: string) => [
  { type: "text", text, quoteToken: sent.message.quoteToken },
];

describe("mention-responder", () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({
      plugins: [PLUGIN],
      settings: {
        "mention-responder": { commands: { ping: "pong", Weather: "Sunny all day ☀️" } },
      },
    });
  });
  afterAll(() => bot?.stop());

  test("a mention of the bot gets the command's reply, quoting the message", async () => {
    const sent = event.text("@Hotline ping", { chat: freshGroup(), mention: [BOT] });
    await bot.deliver(sent);
    expect(sent.message.quoteToken).toBeString();
    expect(bot.repliesTo(sent)).toEqual(quoted(sent, "pong"));
  });

  test("the first word picks the command, ignoring case, wherever the mention stands", async () => {
    const first = event.text("@Hotline WEATHER tomorrow?", { chat: freshGroup(), mention: [BOT] });
    const last = event.text("weather @Hotline", { chat: freshGroup(), mention: [BOT] });
    const withOther = event.text("@Hotline Ping @Alice", {
      chat: freshGroup(),
      mention: [BOT, { at: "@Alice", userId: OTHER_USER_ID }],
    });
    await bot.deliver(first, last, withOther);
    expect(bot.repliesTo(first)).toEqual(quoted(first, "Sunny all day ☀️"));
    expect(bot.repliesTo(last)).toEqual(quoted(last, "Sunny all day ☀️"));
    expect(bot.repliesTo(withOther)).toEqual(quoted(withOther, "pong"));
  });

  test("a mention carrying the bot's user id but no isSelf is the bot too", async () => {
    const sent = event.text("@Hotline ping", {
      chat: freshGroup(),
      mention: [{ index: 0, length: 8, type: "user", userId: BOT_USER_ID }],
    });
    expect(sent.message.mention?.mentionees[0]).not.toHaveProperty("isSelf");
    await bot.deliver(sent);
    expect(bot.repliesTo(sent)).toEqual(quoted(sent, "pong"));
  });

  test("without a destination, a mentionee without a user id is not taken for the bot", async () => {
    // A user who has not consented has no userId in the mention; a webhook without `destination`
    // gives the bot none either. Two missing ids must not count as a match.
    const anonymous = event.text("@Someone ping", {
      chat: freshGroup(),
      mention: [{ index: 0, length: 8, type: "user" }],
    });
    const control = event.text("@Hotline ping", { chat: freshGroup(), mention: [BOT] });
    for (const sent of [anonymous, control]) bot.line.issueReplyToken(sent.replyToken);
    const response = await bot.post(JSON.stringify({ events: [anonymous, control] }));
    expect(response.status).toBe(200);
    await bot.settle();
    expect(bot.repliesTo(control)).toEqual(quoted(control, "pong"));
    await bot.expectNoReply(anonymous);
  });

  test("help, or a bare mention, lists the commands (the host answers it)", async () => {
    const help = event.text("@Hotline Help", { chat: freshGroup(), mention: [BOT] });
    const bare = event.text(" @Hotline ", { chat: freshGroup(), mention: [BOT] });
    await bot.deliver(help, bare);
    const list = [
      "Commands:",
      'ping — answers "pong"',
      'Weather — answers "Sunny all day ☀️"',
      "help — this list",
    ].join("\n");
    expect(bot.repliesTo(help)).toEqual(quoted(help, list));
    expect(bot.repliesTo(bare)).toEqual(quoted(bare, list));
    expect((await bot.deliveries(help.webhookEventId)).map((d) => d.plugin)).toEqual(["hotline"]);
  });

  test("a typo gets the host's suggestion, and no unknown-command reply", async () => {
    const typo = event.text("@Hotline pnig", { chat: freshGroup(), mention: [BOT] });
    await bot.deliver(typo);
    expect(bot.repliesTo(typo)).toEqual(
      quoted(typo, '"pnig" is not a command. Did you mean "ping"? Send "help" for the list.'),
    );
  });

  test("an unknown command gets the default reply", async () => {
    const sent = event.text("@Hotline dance for us", { chat: freshGroup(), mention: [BOT] });
    await bot.deliver(sent);
    expect(bot.repliesTo(sent)).toEqual(quoted(sent, DEFAULT_UNKNOWN_REPLY));
  });

  test("@All alone is ignored; with the bot mentioned too, both are cut from the command", async () => {
    const all = { at: "@All", type: "all" } as const;
    const allOnly = event.text("@All ping", { chat: freshGroup(), mention: [all] });
    const allAndBot = event.text("@All @Hotline ping", {
      chat: freshGroup(),
      mention: [all, BOT],
    });
    await bot.deliver(allOnly, allAndBot);
    expect((await bot.deliveries(allOnly.webhookEventId)).map((d) => d.plugin)).toEqual([
      "mention-responder",
    ]);
    await bot.expectNoReply(allOnly);
    expect(bot.repliesTo(allAndBot)).toEqual(quoted(allAndBot, "pong"));
  });

  test("a mention of another user alone is ignored", async () => {
    const sent = event.text("@Alice ping", {
      chat: freshGroup(),
      mention: [{ at: "@Alice", userId: OTHER_USER_ID, isSelf: false }],
    });
    const unmentioned = event.text("ping", { chat: freshGroup() });
    await bot.deliver(sent, unmentioned);
    await bot.expectNoReply(sent);
    await bot.expectNoReply(unmentioned);
  });

  test("room chats are answered like groups", async () => {
    const sent = event.text("@Hotline ping", { chat: freshRoom(), mention: [BOT] });
    await bot.deliver(sent);
    expect(bot.repliesTo(sent)).toEqual(quoted(sent, "pong"));
  });

  test("1:1 chats are never delivered to it", async () => {
    const sent = event.text("@Hotline ping", { chat: user(), mention: [BOT] });
    await bot.deliver(sent);
    expect(await bot.deliveries(sent.webhookEventId)).toEqual([]);
    await bot.expectNoReply(sent);
  });

  test("standby events are never delivered to it", async () => {
    const sent = event.text("@Hotline ping", {
      chat: freshGroup(),
      mention: [BOT],
      mode: "standby",
    });
    await bot.deliver(sent);
    expect(await bot.deliveries(sent.webhookEventId)).toEqual([]);
    await bot.expectNoReply(sent);
  });

  test("offsets count UTF-16 code units: emoji inside and before a mention", async () => {
    // "🤖" is two UTF-16 code units: offsets counted in code points or bytes cut the wrong text.
    const robot = { at: "@Hotline🤖", isSelf: true };
    const inside = event.text("@Hotline🤖 ping", { chat: freshGroup(), mention: [robot] });
    const before = event.text("@Hotline🤖 @Hotline🤖 weather", {
      chat: freshGroup(),
      mention: [robot, robot],
    });
    expect(before.message.mention?.mentionees.map((m) => m.index)).toEqual([0, 11]);
    await bot.deliver(inside, before);
    expect(bot.repliesTo(inside)).toEqual(quoted(inside, "pong"));
    expect(bot.repliesTo(before)).toEqual(quoted(before, "Sunny all day ☀️"));
  });
});

describe("mention-responder settings", () => {
  test("defaults: ping answers pong", async () => {
    const bot = await startTestBot({ plugins: [PLUGIN] });
    try {
      const sent = event.text("@Hotline ping", { chat: freshGroup(), mention: [BOT] });
      await bot.deliver(sent);
      expect(bot.repliesTo(sent)).toEqual(quoted(sent, "pong"));
    } finally {
      await bot.stop();
    }
  });

  test("a configured help and unknown-command reply replace the built-in ones", async () => {
    const bot = await startTestBot({
      plugins: [PLUGIN],
      settings: {
        "mention-responder": {
          commands: { HELP: "Ask Kim.", rules: "Be kind." },
          unknownCommandReply: "Hm?",
        },
      },
    });
    try {
      const help = event.text("@Hotline help", { chat: freshGroup(), mention: [BOT] });
      const bare = event.text("@Hotline", { chat: freshGroup(), mention: [BOT] });
      const unknown = event.text("@Hotline ping", { chat: freshGroup(), mention: [BOT] });
      await bot.deliver(help, bare, unknown);
      expect(bot.repliesTo(help)).toEqual(quoted(help, "Ask Kim."));
      expect(bot.repliesTo(bare)).toEqual(quoted(bare, "Ask Kim."));
      expect(bot.repliesTo(unknown)).toEqual(quoted(unknown, "Hm?"));
    } finally {
      await bot.stop();
    }
  });

  test("commands that could never match keep the plugin from loading", async () => {
    const bot = await startTestBot({
      plugins: [PLUGIN],
      settings: {
        "mention-responder": { commands: { "good morning": "Hi!", Ping: "a", ping: "b" } },
      },
    });
    try {
      const [status] = bot.hotline.plugins.statuses();
      expect(status?.state).toBe("failed");
      expect(status?.error).toContain("commands.good morning: must be one word");
      expect(status?.error).toContain("commands.ping: defined twice");
    } finally {
      await bot.stop();
    }
  });
});
