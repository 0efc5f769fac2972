/**
 * The example plugins of docs/authoring.md, run through the test kit as a reader would run them:
 * what the docs say each one answers is what it answers. (docs-in-sync.test.ts keeps the docs'
 * code blocks equal to these files.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { event, group, startTestBot, type TestBot, user } from "hotline/testing";
import { notes } from "./examples/notes.ts";

const example = (file: string) => new URL(`./examples/${file}`, import.meta.url);

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({
    plugins: [
      example("toolbox.ts"),
      example("shrug.ts"),
      example("notes.ts"),
      new URL("../../plugins/echo.ts", import.meta.url),
    ],
  });
});
afterAll(() => bot.stop());

let chats = 0;
const freshUser = () => user(`U${(++chats).toString(16).padStart(32, "0")}`);
const texts = (sent: { replyToken?: string | null }) =>
  (bot.repliesTo(sent) as Array<{ text?: string }>).map((message) => message.text);
async function say(text: string, chat: ReturnType<typeof user | typeof group> = freshUser()) {
  const sent = event.text(text, { chat });
  await bot.deliver(sent);
  return sent;
}
const routedTo = async (sent: { webhookEventId: string }) =>
  (await bot.deliveries(sent.webhookEventId)).map((delivery) => delivery.plugin).sort();

describe("Commands: toolbox", () => {
  test("a tuple's words, an alias, and a parse error with the usage", async () => {
    expect(texts(await say("convert 2 lb kg"))).toEqual(["2 lb = 0.91 kg"]);
    expect(texts(await say("/CV 16 oz g"))).toEqual(["16 oz = 453.6 g"]);
    expect(texts(await say("CONVERT 2 lb kg"))).toEqual(["2 lb = 0.91 kg"]);
    expect(texts(await say("convert two lb kg"))).toEqual([
      "amount must be a number\nUsage: convert <amount> <from> <to>",
    ]);
    expect(texts(await say("convert 2 lb stone"))).toEqual([
      "units are g, kg, oz and lb\nUsage: convert <amount> <from> <to>",
    ]);
  });

  test("a string schema gets the rest; `mention: false` counts in a group unmentioned", async () => {
    const shout = await say("shout hello there", group());
    expect(texts(shout)).toEqual(["HELLO THERE"]);
    // convert keeps the default: unmentioned in a group it is chat, and nobody answers it.
    const convert = await say("convert 2 lb kg", group());
    await bot.expectNoReply(convert);
  });

  test("a command registered in setup from the settings, and help listing them all", async () => {
    expect(texts(await say("units"))).toEqual(["g, kg, oz, lb"]);
    expect(texts(await say("help"))).toEqual([
      [
        "Commands:",
        // Equal priorities (0): plugins by name, notes before toolbox.
        "note <text> — keeps a note",
        "convert <amount> <from> <to> — converts a weight",
        "shout <text> — repeats the text in capitals",
        "units — lists the units",
        "help — this list",
      ].join("\n"),
    ]);
  });

  test("without args, a word is a command alone or written as one", async () => {
    expect(texts(await say("units please"))).toEqual(["units please"]);
    expect(texts(await say("/units please"))).toEqual(['"units" takes no arguments\nUsage: units']);
  });

  test("a near miss written as a command gets a suggestion; as chat it is echoed", async () => {
    expect(texts(await say("/cnvert 2 lb kg"))).toEqual([
      '"cnvert" is not a command. Did you mean "convert"? Send "help" for the list.',
    ]);
    expect(texts(await say("cnvert 2 lb kg"))).toEqual(["cnvert 2 lb kg"]);
  });

  test("a command takes the text from echo's fallback", async () => {
    const sent = await say("convert 1 kg g");
    expect(await routedTo(sent)).toEqual(["toolbox"]);
    const chat = await say("hello");
    expect(texts(chat)).toEqual(["hello"]);
    expect(await routedTo(chat)).toEqual(["echo"]);
  });
});

describe("Who answers: shrug below echo", () => {
  test("a text is echo's: of the fallbacks, only the highest priority's run", async () => {
    const sent = await say("anyone there?");
    expect(texts(sent)).toEqual(["anyone there?"]);
    expect(await routedTo(sent)).toEqual(["echo"]);
  });

  test("what echo has no fallback for goes to shrug", async () => {
    const sent = event.location(35.68, 139.76, { chat: freshUser() });
    await bot.deliver(sent);
    expect(texts(sent)).toEqual(["I can't do anything with a location message, sorry."]);
    expect(await routedTo(sent)).toEqual(["shrug"]);
  });
});

describe("State: notes", () => {
  test("a note is kept once, counted by the route, and pruned by the hourly job", async () => {
    const sent = await say("note buy milk");
    expect(texts(sent)).toEqual(["Noted (1 so far)."]);
    const count = await fetch(`${bot.url}/plugins/notes/count`);
    expect(await count.json()).toEqual({ n: 1 });
    expect(await bot.pluginDb.select().from(notes)).toMatchObject([{ text: "buy milk" }]);

    await bot.advance(31 * 86_400_000);
    await bot.runJob("notes", "prune");
    expect(await bot.pluginDb.select().from(notes)).toEqual([]);
  });
});
