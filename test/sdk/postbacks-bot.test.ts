/**
 * Postback routes through a real bot: actions built with `ctx.postback` and `ctx.datetimePicker`,
 * tapped with `bot.tap`, reach their route's handler with typed data; data that is forged,
 * altered, or fails the route's schema never does; data over LINE's limit is refused when built.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";
import { encodePostbackData, postbackKey } from "../../src/sdk/postback-data.ts";
import { OTHER, RAW_POSTBACKS, TODO } from "./fixtures/todo-plugin.ts";

let bot: TestBot;
const lines: Array<{ level: number; msg: string; plugin?: string; route?: string }> = [];
const dir = createPluginsDir();
beforeAll(async () => {
  dir.write("todo.ts", TODO);
  dir.write("other.ts", OTHER);
  dir.write("raw-postbacks.ts", RAW_POSTBACKS);
  const logger = pino({ level: "info" }, { write: (line) => lines.push(JSON.parse(line)) });
  bot = await startTestBot({ pluginsDir: dir.dir, logger });
});
afterAll(async () => {
  await bot.stop();
  dir.remove();
});

let chats = 0;
const freshUser = () => user(`U${(++chats).toString(16).padStart(32, "0")}`);
const texts = (sent: { replyToken?: string | null }) =>
  (bot.repliesTo(sent) as Array<{ text?: string }>).map((m) => m.text);
const routedTo = async (sent: { webhookEventId: string }) =>
  (await bot.deliveries(sent.webhookEventId)).map((d) => [d.plugin, d.status]);

/** "add <item>" in a fresh chat; the reply carries the item's buttons. */
async function added(item: string) {
  const sent = event.text(`add ${item}`, { chat: freshUser() });
  await bot.deliver(sent);
  return sent;
}

/** The data of the button labelled `label` in the reply to `sent`. */
function dataOf(sent: { replyToken?: string }, label: string): string {
  const [reply] = bot.repliesTo(sent) as Array<{
    quickReply: { items: Array<{ action: { label: string; data?: string } }> };
  }>;
  const button = reply?.quickReply.items.find((item) => item.action.label === label);
  if (!button?.action.data) throw new Error(`no ${label} button`);
  return button.action.data;
}

describe("postback routes", () => {
  test("tapping a button sends its data back to its route, typed and checked", async () => {
    const sent = await added("milk");
    const data = dataOf(sent, "Done");
    expect(data).toMatch(/^hl:todo:done:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
    const tap = await bot.tap(sent, "Done");
    expect("postback" in tap && tap.postback.data).toBe(data);
    expect(tap.source).toEqual(sent.source);
    expect(texts(tap)).toEqual([expect.stringMatching(/^done #\d+$/)]);
    // Only the route's plugin gets it: not the plugin with a plain postback handler.
    expect(await routedTo(tap)).toEqual([["todo", "done"]]);
  });

  test("a date picker's choice comes in event.postback.params", async () => {
    const sent = await added("taxes");
    const tap = await bot.tap(sent, "Due", { params: { date: "2025-04-15" } });
    expect(texts(tap)).toEqual([expect.stringMatching(/^#\d+ due 2025-04-15$/)]);
    await expect(bot.tap(sent, "Due")).rejects.toThrow("pass { params: { date: … } }");
  });

  test("a message action sends its text, from the same chat", async () => {
    const sent = await added("bread");
    const tap = await bot.tap(sent, "List");
    expect("message" in tap && tap.message.text).toBe("list");
    expect(texts(tap)[0]).toContain("bread");
    await expect(bot.tap(sent, "Nope")).rejects.toThrow('labels: "Done", "Due", "List"');
  });

  test("data rewritten to name another plugin reaches no handler", async () => {
    const data = dataOf(await added("eggs"), "Done");
    const forged = event.postback(data.replace("hl:todo:", "hl:other:"), { chat: freshUser() });
    await bot.deliver(forged);
    expect(await routedTo(forged)).toEqual([["other", "done"]]);
    expect(await bot.kv("other").get("reached")).toBeUndefined();
    await bot.expectNoReply(forged);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        plugin: "other",
        msg: expect.stringContaining("postback refused"),
      }),
    );
  });

  test("altered data reaches no handler", async () => {
    const data = dataOf(await added("jam"), "Done");
    const [prefix, payload, mac] = [
      data.split(":").slice(0, 3),
      data.split(":")[3],
      data.split(":")[4],
    ];
    const id = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()).id as number;
    const other = Buffer.from(JSON.stringify({ id: id + 1 })).toString("base64url");
    const altered = event.postback([...prefix, other, mac].join(":"), { chat: freshUser() });
    await bot.deliver(altered);
    expect(await routedTo(altered)).toEqual([["todo", "done"]]);
    expect(await bot.kv("todo").get(`done:${id + 1}`)).toBeUndefined();
    await bot.expectNoReply(altered);
  });

  test("signed data that fails the route's schema reaches no handler", async () => {
    const key = postbackKey(bot.secret, "todo");
    const data = encodePostbackData(key, { plugin: "todo", route: "done" }, { id: "seven" });
    const sent = event.postback(data, { chat: freshUser() });
    await bot.deliver(sent);
    expect(await routedTo(sent)).toEqual([["todo", "done"]]);
    await bot.expectNoReply(sent);
    expect(lines).toContainEqual(
      expect.objectContaining({ plugin: "todo", msg: expect.stringContaining("schema") }),
    );
  });

  test("data over LINE's 300 characters is refused when the action is built", async () => {
    const sent = event.text("big", { chat: freshUser() });
    await bot.deliver(sent);
    expect(texts(sent)).toEqual([expect.stringMatching(/^refused: postback data: \d+ > 300/)]);
  });

  test("postbacks that are not hotline's go to plain postback handlers, as before", async () => {
    const plain = event.postback("action=buy&item=1", { chat: freshUser() });
    await bot.deliver(plain);
    expect(await routedTo(plain)).toEqual([["raw-postbacks", "done"]]);
    expect(await bot.kv("raw-postbacks").get(plain.webhookEventId)).toBe("action=buy&item=1");
  });
});
