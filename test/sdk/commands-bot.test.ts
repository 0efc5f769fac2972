/**
 * Commands through a real bot: parsing (aliases, "/", case, tuple and string arguments, parse
 * errors), the mention rule in groups and rooms, the host's `help` and "did you mean", and the
 * built-in fallbacks (echo, mention-responder) staying quiet for what a command answered.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  createPluginsDir,
  event,
  group,
  room,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";
import { linkBuiltIns, TODO } from "./fixtures/todo-plugin.ts";

const BOT = { at: "@Hotline", isSelf: true };
let chats = 0;
const nextId = () => (++chats).toString(16).padStart(32, "0");
const freshUser = () => user(`U${nextId()}`);
const freshGroup = () => group(`C${nextId()}`);

let bot: TestBot;
const dir = createPluginsDir();
beforeAll(async () => {
  dir.write("todo.ts", TODO);
  linkBuiltIns(dir.dir, "echo.ts", "mention-responder.ts");
  bot = await startTestBot({ pluginsDir: dir.dir });
});
afterAll(async () => {
  await bot.stop();
  dir.remove();
});

type Sent = { replyToken?: string; message: { quoteToken?: string } };
const texts = (sent: Sent) => (bot.repliesTo(sent) as Array<{ text?: string }>).map((m) => m.text);
const routedTo = async (sent: { webhookEventId: string }) =>
  (await bot.deliveries(sent.webhookEventId)).map((d) => d.plugin).sort();
const say = async (text: string, chat = freshUser()) => {
  const sent = event.text(text, { chat });
  await bot.deliver(sent);
  return sent;
};

describe("parsing", () => {
  test("a command runs with the rest of the text; echo does not echo it", async () => {
    const sent = await say("add team snacks");
    expect(texts(sent)).toEqual(["Added team snacks"]);
    expect(await routedTo(sent)).toEqual(["todo"]);
  });

  test("aliases, a leading slash and any case name the same command", async () => {
    for (const text of ["/add milk", "ADD milk", "a milk", "/A milk", "+ milk"])
      expect({ text, replies: texts(await say(text)) }).toEqual({ text, replies: ["Added milk"] });
  });

  test("a tuple gets the words, the last taking the rest", async () => {
    expect(texts(await say("take 3 big red apples"))).toEqual(["took 3 x big red apples"]);
  });

  test("a parse error is answered once, by the command's plugin, with the reason and the usage", async () => {
    const bad = await say("take lots of apples");
    expect(texts(bad)).toEqual(["n must be a number\nUsage: take <n> <item>"]);
    expect(await routedTo(bad)).toEqual(["todo"]);
    const empty = await say("add");
    expect(texts(empty)).toEqual(["say what to add\nUsage: add <item>"]);
  });

  test("a command without arguments is one only alone, or written explicitly", async () => {
    const alone = await say("list");
    expect(await routedTo(alone)).toEqual(["todo"]);
    expect(texts(alone)[0]).toContain("team snacks");
    const chatter = await say("list please");
    expect(texts(chatter)).toEqual(["list please"]);
    expect(await routedTo(chatter)).toEqual(["echo"]);
    const explicit = await say("/list please");
    expect(texts(explicit)).toEqual(['"list" takes no arguments\nUsage: list']);
  });
});

describe("in groups and rooms", () => {
  test("a mention makes a command, wherever it stands; it is cut out before parsing", async () => {
    const first = event.text("@Hotline add snacks", { chat: freshGroup(), mention: [BOT] });
    const last = event.text("add snacks @Hotline", { chat: freshGroup(), mention: [BOT] });
    const middle = event.text("add @Hotline snacks", {
      chat: room(`R${nextId()}`),
      mention: [BOT],
    });
    await bot.deliver(first, last, middle);
    for (const sent of [first, last, middle]) {
      expect(texts(sent)).toEqual(["Added snacks"]);
      // mention-responder's fallback is not asked: the command took the mention.
      expect(await routedTo(sent)).toEqual(["todo"]);
    }
  });

  test("without a mention it is no command, and nobody answers", async () => {
    const sent = event.text("add snacks", { chat: freshGroup() });
    await bot.deliver(sent);
    await bot.expectNoReply(sent);
    // Only the fallbacks were asked (echo answers 1:1 chats, mention-responder mentions).
    expect(await routedTo(sent)).toEqual(["echo", "mention-responder"]);
  });

  test("a command with `mention: false` counts without a mention", async () => {
    const sent = event.text("shout hello", { chat: freshGroup() });
    await bot.deliver(sent);
    expect(texts(sent)).toEqual(["HELLO"]);
  });

  test("a mention nothing answered gets mention-responder's reply, from its fallback", async () => {
    const sent = event.text("@Hotline dance for us", { chat: freshGroup(), mention: [BOT] });
    await bot.deliver(sent);
    expect(texts(sent)).toEqual([
      'Sorry, I don\'t know that one. Mention me with "help" to see what I can do.',
    ]);
  });
});

describe("help and did you mean", () => {
  const TODO_HELP = [
    "add <item> — adds an item",
    "take <n> <item> — takes n of an item",
    "list — lists the items",
    "shout — shouts, mention or not",
    "big — tries a button with too much data",
  ];

  test("help lists the commands usable in the chat, of every loaded plugin", async () => {
    const oneToOne = await say("help");
    expect(texts(oneToOne)).toEqual([["Commands:", ...TODO_HELP, "help — this list"].join("\n")]);
    expect(await routedTo(oneToOne)).toEqual(["hotline"]);
    const inGroup = event.text("@Hotline help", { chat: freshGroup(), mention: [BOT] });
    await bot.deliver(inGroup);
    // Equal priorities: by plugin name, mention-responder before todo.
    const ping = 'ping — answers "pong"';
    expect(texts(inGroup)).toEqual([
      ["Commands:", ping, ...TODO_HELP, "help — this list"].join("\n"),
    ]);
  });

  test("a near miss written as a command gets one suggestion, from the host", async () => {
    const slashed = await say("/ad milk");
    expect(texts(slashed)).toEqual([
      '"ad" is not a command. Did you mean "add"? Send "help" for the list.',
    ]);
    expect(await routedTo(slashed)).toEqual(["hotline"]);
    const mentioned = event.text("@Hotline lsit", { chat: freshGroup(), mention: [BOT] });
    await bot.deliver(mentioned);
    expect(texts(mentioned)).toEqual([
      '"lsit" is not a command. Did you mean "list"? Send "help" for the list.',
    ]);
    expect(await routedTo(mentioned)).toEqual(["hotline"]);
  });

  test("ordinary chat is not taken for a typo, nor for help", async () => {
    for (const text of ["ad milk", "hello", "help me out here", "lsit"]) {
      const sent = await say(text);
      expect({ text, replies: texts(sent) }).toEqual({ text, replies: [text] });
    }
  });
});

describe("help after a hot reload", () => {
  test("a plugin added while the bot runs has its commands in help", async () => {
    const file = dir.write(
      "weather.ts",
      `import { definePlugin } from "hotline";
export default definePlugin({
  name: "weather",
  commands: { forecast: { description: "tomorrow's weather", handle: (a, e, ctx) => ctx.reply("sunny") } },
});
`,
    );
    await bot.hotline.plugins.reload([file]);
    const help = await say("help");
    expect(texts(help)[0]).toContain("forecast — tomorrow's weather");
    expect(texts(await say("forecast"))).toEqual(["sunny"]);
    await bot.hotline.plugins.reload([join(dir.dir, "weather.ts")]);
  });
});
