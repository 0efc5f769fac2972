/** The to-do example end to end: commands, Done buttons, the chat's list, and "clear" asking first. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { event, group, startTestBot, type TestBot, user } from "../../src/dev/testing/mod.ts";

let bot: TestBot;
beforeAll(async () => {
  const plugins = ["examples/todo.ts", "plugins/echo.ts", "plugins/mention-responder.ts"];
  bot = await startTestBot({
    plugins: plugins.map((path) => new URL(`../../${path}`, import.meta.url)),
  });
});
afterAll(() => bot.stop());

let chats = 0;
const fresh = () => `U${(++chats).toString(16).padStart(32, "0")}`;
type Chat = ReturnType<typeof user> | ReturnType<typeof group>;
const texts = (sent: object) =>
  (bot.repliesTo(sent) as Array<{ text?: string }>).map((reply) => reply.text);
async function say(text: string, chat: Chat) {
  const mention = "groupId" in chat ? { mention: [{ at: "@Hotline", isSelf: true }] } : {};
  const sent = event.text("groupId" in chat ? `@Hotline ${text}` : text, { chat, ...mention });
  await bot.deliver(sent);
  return sent;
}

test("add and list; echo repeats none of it", async () => {
  const chat = user(fresh());
  expect(texts(await say("add milk", chat))).toEqual(["Added “milk” (1 on the list)"]);
  expect(texts(await say("add eggs", chat))).toEqual(["Added “eggs” (2 on the list)"]);
  expect(texts(await say("list", chat))).toEqual(["☐ 1. milk\n☐ 2. eggs"]);
  expect(texts(await say("add", chat))).toEqual(["say what to add\nUsage: add <item>"]);
  // Another chat has its own list.
  expect(texts(await say("list", user(fresh())))).toEqual(["Nothing to do."]);
});

test("a Done button marks its item done", async () => {
  const chat = user(fresh());
  await say("add milk", chat);
  await say("add eggs", chat);
  const list = await say("list", chat);
  expect(texts(await bot.tap(list, "Done 2"))).toEqual(["Done: eggs"]);
  expect(texts(await say("list", chat))).toEqual(["☐ 1. milk\n✓ 2. eggs"]);
  // A button of an item cleared meanwhile finds nothing.
  await say("clear", chat);
  await say("yes", chat);
  expect(texts(await bot.tap(list, "Done 1"))).toEqual(["That item is gone."]);
});

test("clear asks first: no keeps the list, yes empties it", async () => {
  const chat = user(fresh());
  await say("add milk", chat);
  expect(texts(await say("clear", chat))).toEqual(["Clear the whole list? (yes/no)"]);
  expect(texts(await say("maybe", chat))).toEqual(["yes or no?", "Clear the whole list? (yes/no)"]);
  expect(texts(await say("no", chat))).toEqual(["Kept it."]);
  expect(texts(await say("list", chat))).toEqual(["☐ 1. milk"]);
  await say("clear", chat);
  expect(texts(await say("yes", chat))).toEqual(["Cleared."]);
  expect(texts(await say("list", chat))).toEqual(["Nothing to do."]);
});

test("in a group, when the bot is mentioned; the group shares one list", async () => {
  const room = `C${fresh().slice(1)}`;
  await say("add snacks", group(room, fresh()));
  expect(texts(await say("list", group(room, fresh())))).toEqual(["☐ 1. snacks"]);
  // Not mentioned: not a command, and nobody answers.
  const plain = event.text("add cake", { chat: group(room, fresh()) });
  await bot.deliver(plain);
  await bot.expectNoReply(plain);
});
