/**
 * Sessions and dialogs through a real bot: per-chat and per-user state read before the handler
 * and saved with the settlement (a failed attempt saves nothing), dialogs answered one text at a
 * time ahead of commands and fallbacks, cancelled, timed out, and carried across a restart and a
 * hot reload of their plugin.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  group,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";
import { notesPlugin, OTHER_STEPS } from "./fixtures/notes-plugin.ts";
import { linkBuiltIns } from "./fixtures/todo-plugin.ts";

const BOT = { at: "@Hotline", isSelf: true };
let chats = 0;
const nextId = () => (++chats).toString(16).padStart(32, "0");
const freshUser = () => user(`U${nextId()}`);

let bot: TestBot;
const dir = createPluginsDir();
beforeAll(async () => {
  dir.write("notes.ts", notesPlugin());
  linkBuiltIns(dir.dir, "echo.ts", "mention-responder.ts");
  bot = await startTestBot({ pluginsDir: dir.dir, tuning: { watch: true } });
});
afterAll(async () => {
  await bot.stop();
  dir.remove();
});

type Sent = { replyToken?: string };
type Chat = ReturnType<typeof user> | ReturnType<typeof group>;
const texts = (sent: Sent, on = bot) =>
  (on.repliesTo(sent) as Array<{ text?: string }>).map((m) => m.text);
const say = async (text: string, chat: Chat, on = bot) => {
  const mention = text.startsWith("@Hotline") ? { mention: [BOT] } : {};
  const sent = event.text(text, { chat, ...mention });
  await on.deliver(sent);
  return texts(sent, on);
};

describe("sessions", () => {
  test("a chat's state and each user's are kept apart, and carried from event to event", async () => {
    const room = `C${nextId()}`;
    const [ann, bob] = [`U${nextId()}`, `U${nextId()}`];
    const inGroup = (text: string, userId: string) => say(`@Hotline ${text}`, group(room, userId));
    expect(await inGroup("note milk", ann)).toEqual(["1 notes, 1 by you"]);
    expect(await inGroup("note eggs", bob)).toEqual(["2 notes, 1 by you"]);
    expect(await inGroup("note tea", ann)).toEqual(["3 notes, 2 by you"]);
    expect(await say("notes", freshUser())).toEqual(["no notes"]);
    expect(await inGroup("notes", bob)).toEqual(["milk, eggs, tea"]);
  });

  test("a failed attempt changes nothing: its retry starts from the state before it", async () => {
    const chat = freshUser();
    await say("note one", chat);
    const sent = event.text("note flaky", { chat });
    await bot.deliver(sent);
    expect((await bot.deliveries(sent.webhookEventId))[0]?.status).toBe("retry");
    await bot.advance(60_000);
    expect((await bot.deliveries(sent.webhookEventId))[0]?.status).toBe("done");
    expect(await say("notes", chat)).toEqual(["one, flaky"]);
  });

  test("assigning a scope replaces its state", async () => {
    const chat = freshUser();
    await say("note one", chat);
    expect(await say("forget", chat)).toEqual(["forgotten"]);
    expect(await say("notes", chat)).toEqual(["no notes"]);
  });
});

describe("dialogs", () => {
  test("each answer is read in turn; a wrong one is said back; echo echoes none", async () => {
    const chat = freshUser();
    expect(await say("survey", chat)).toEqual(["Your name?"]);
    expect(await say("Ann", chat)).toEqual(["Your age?"]);
    expect(await say("old", chat)).toEqual(["A number, please", "Your age?"]);
    expect(await say("30", chat)).toEqual(["Thanks, Ann (30)"]);
    // Over: texts are chat again, and the dialog's `done` kept its note in the chat's session.
    expect(await say("hello", chat)).toEqual(["hello"]);
    expect(await say("notes", chat)).toEqual(["Ann is 30"]);
  });

  test("a text that names a command answers the dialog instead", async () => {
    const chat = freshUser();
    await say("survey", chat);
    expect(await say("notes", chat)).toEqual(["Your age?"]);
    expect(await say("help", chat)).toEqual(["A number, please", "Your age?"]);
  });

  test("answers given up front skip their questions", async () => {
    expect(await say("survey Kim", freshUser())).toEqual(["Your age?"]);
  });

  test("a cancel word ends it", async () => {
    const chat = freshUser();
    await say("survey", chat);
    expect(await say("STOP", chat)).toEqual(["Survey stopped."]);
    expect(await say("hello", chat)).toEqual(["hello"]);
  });

  test("it times out: after timeoutMs without an answer, texts are chat again", async () => {
    const chat = freshUser();
    await say("survey", chat);
    await bot.advance(61_000);
    expect(await say("Ann", chat)).toEqual(["Ann"]);
  });

  test("in a group it is the user's alone, and needs no mention to answer", async () => {
    const room = `C${nextId()}`;
    const [ann, bob] = [`U${nextId()}`, `U${nextId()}`];
    expect(await say("@Hotline survey", group(room, ann))).toEqual(["Your name?"]);
    // Bob is not in it: his unaddressed text is not an answer, and nobody answers it.
    const bobs = event.text("Bob", { chat: group(room, bob) });
    await bot.deliver(bobs);
    await bot.expectNoReply(bobs);
    expect((await bot.deliveries(bobs.webhookEventId)).map((d) => d.plugin)).not.toContain("notes");
    expect(await say("Ann", group(room, ann))).toEqual(["Your age?"]);
  });
});

describe("a dialog across a restart and a reload", () => {
  test("a restarted bot on the same data goes on with the next question", async () => {
    const data = createPluginsDir();
    const plugins = createPluginsDir();
    plugins.write("notes.ts", notesPlugin());
    const chat = freshUser();
    const first = await startTestBot({ pluginsDir: plugins.dir, dataDir: data.dir });
    expect(await say("survey", chat, first)).toEqual(["Your name?"]);
    await first.stop();
    const second = await startTestBot({ pluginsDir: plugins.dir, dataDir: data.dir });
    try {
      expect(await say("Ann", chat, second)).toEqual(["Your age?"]);
      expect(await say("41", chat, second)).toEqual(["Thanks, Ann (41)"]);
    } finally {
      await second.stop();
      plugins.remove();
      data.remove();
    }
  });

  test("a reload that keeps the questions goes on; one that changes them ends it, saying so", async () => {
    const chat = freshUser();
    await say("survey", chat);
    dir.write("notes.ts", `${notesPlugin()}\n// edited`);
    await bot.waitForPlugin((e) => e.type === "loaded" && e.name === "notes");
    expect(await say("Ann", chat)).toEqual(["Your age?"]);
    dir.write("notes.ts", notesPlugin(OTHER_STEPS));
    await bot.waitForPlugin((e) => e.type === "loaded" && e.name === "notes");
    expect((await say("30", chat))[0]).toContain("please start again");
    expect(await say("30", chat)).toEqual(["30"]);
    dir.write("notes.ts", notesPlugin());
    await bot.waitForPlugin((e) => e.type === "loaded" && e.name === "notes");
  });
});
