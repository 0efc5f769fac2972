import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";
import { TAP_LABEL } from "../../src/dispatch/tap-to-see.ts";

const PUSH = "/v2/bot/message/push";

/**
 * "<name> <n>" (or "both <n>") waits, before replying "<name> answer", until a text "open <n>" has reached it
 * (from another chat: its own chat's lane is busy with the waiting delivery).
 */
const slow = (name: string) => `
import { definePlugin } from "hotline";
const gates = new Map();
const gate = (id) => {
  if (!gates.has(id)) {
    let open;
    const opened = new Promise((resolve) => { open = resolve; });
    gates.set(id, { opened, open });
  }
  return gates.get(id);
};
export default definePlugin({
  name: ${JSON.stringify(name)},
  on: {
    "message:text": async (event, ctx) => {
      const [word, id] = event.message.text.split(" ");
      if (word === "open") return gate(id).open();
      if (word !== ${JSON.stringify(name)} && word !== "both") return;
      // Bounded, so a test that fails to open the gate fails instead of hanging.
      await Promise.race([gate(id).opened, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      await ctx.reply(${JSON.stringify(name)} + " answer");
    },
  },
});
`;

const dir = createPluginsDir();
dir.write("patient.ts", slow("patient"));
dir.write("plain.ts", slow("plain"));

let chats = 0;
const chat = () => user(`U${(++chats).toString(16).padStart(32, "d")}`);

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({
    pluginsDir: dir.dir,
    settings: { patient: { tapToSee: "One moment, tap to see the answer." } },
  });
});
afterAll(async () => {
  await bot.stop();
  dir.remove();
});
afterEach(() => bot.line.reset());

const texts = (messages: unknown[]) => messages.map((m) => (m as { text: string }).text);
const pushes = () => bot.line.requests.filter((r) => r.path === PUSH && r.status === 200);

/** The postback data of the tap button in what the bot replied. */
function tapData(messages: unknown[]): string {
  for (const m of messages as Array<{
    quickReply?: { items: Array<{ action: { label: string; data: string } }> };
  }>)
    for (const item of m.quickReply?.items ?? [])
      if (item.action.label === TAP_LABEL) return item.action.data;
  throw new Error(`no "${TAP_LABEL}" button in ${JSON.stringify(messages)}`);
}

describe("tapToSee", () => {
  test("a slow answer waits for the tap and goes as its reply: nothing is pushed", async () => {
    const asked = event.text("patient 1", { chat: chat() });
    await bot.send(asked);
    const first = await bot.waitForReply(asked);
    expect(texts(first)).toEqual(["One moment, tap to see the answer."]);

    // Tapped too early: still working, with the button again.
    const early = event.postback(tapData(first), { chat: asked.source as never });
    await bot.send(early);
    const again = await bot.waitForReply(early);
    expect(texts(again)).toEqual(["Still working on it. Tap again in a moment."]);

    await bot.deliver(event.text("open 1", { chat: chat() }));
    expect(pushes()).toEqual([]);
    const tap = await bot.tap(asked, TAP_LABEL, { message: again[0] });
    expect(texts(bot.repliesTo(tap))).toEqual(["patient answer"]);
    expect(pushes()).toEqual([]);
    const records = await bot.hotline.store.deliveriesOf(asked.webhookEventId);
    expect(records.map((r) => [r.plugin, r.status])).toEqual([
      ["patient", "done"],
      ["plain", "done"],
    ]);
  });

  test("only the plugins that opted in wait for the tap; the others push, as before", async () => {
    const asked = event.text("both 2", { chat: chat() });
    await bot.send(asked);
    const first = await bot.waitForReply(asked);
    await bot.deliver(event.text("open 2", { chat: chat() }));
    const userId = (asked.source as { userId: string }).userId;
    expect(texts(bot.pushesTo(userId))).toEqual(["plain answer"]);
    const tap = await bot.tap(asked, TAP_LABEL, { message: first[0] });
    expect(texts(bot.repliesTo(tap))).toEqual(["patient answer"]);
  });

  test("a tap forged with another key is nobody's", async () => {
    const asked = event.text("patient 3", { chat: chat() });
    await bot.send(asked);
    const data = tapData(await bot.waitForReply(asked));
    await bot.deliver(event.text("open 3", { chat: chat() }));
    const forged = event.postback(`${data.slice(0, -4)}AAAA`, { chat: asked.source as never });
    await bot.deliver(forged);
    expect(bot.repliesTo(forged)).toEqual([]);
  });
});
