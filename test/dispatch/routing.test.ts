import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  envelope,
  event,
  group,
  room,
  startTestBot,
  type TestBot,
  ulid,
  user,
} from "../../src/dev/testing/mod.ts";

// Each plugin notes every event it gets in its KV store, keyed by webhookEventId.
const recorder = (name: string, declaration: string) => `
import { definePlugin } from "hotline";
const note = async (event, ctx) => { await ctx.kv.set(event.webhookEventId, event.type); };
export default definePlugin({ name: "${name}", ${declaration} });
`;

const PLUGINS = {
  texts: `on: { "message:text": note }`,
  images: `on: { "message:image": note }`,
  follows: `on: { follow: note }`,
  "group-texts": `chats: ["group"], on: { "message:text": note }`,
  "rooms-and-groups": `chats: ["room", "group"], on: { "message:sticker": note, join: note }`,
  everything: `on: { "*": note }`,
};

let bot: TestBot;
const dir = createPluginsDir();
beforeAll(async () => {
  for (const [name, declaration] of Object.entries(PLUGINS))
    dir.write(`${name}.ts`, recorder(name, declaration));
  bot = await startTestBot({ pluginsDir: dir.dir });
});
afterAll(async () => {
  await bot.stop();
  dir.remove();
});

/** Plugins that have a delivery record for the event, and plugins that actually ran for it. */
async function routedTo(eventId: string): Promise<{ delivered: string[]; ran: string[] }> {
  const delivered = (await bot.deliveries(eventId)).map((row) => row.plugin).sort();
  const ran: string[] = [];
  for (const plugin of Object.keys(PLUGINS))
    if ((await bot.kv(plugin).get(eventId)) !== undefined) ran.push(plugin);
  ran.sort();
  return { delivered, ran };
}

describe("routing", () => {
  test("each event reaches exactly the plugins subscribed to its type, message type and chat", async () => {
    const cases = [
      { e: event.text("hi, 1:1"), want: ["everything", "texts"] },
      {
        e: event.text("hi, group", { chat: group() }),
        want: ["everything", "group-texts", "texts"],
      },
      { e: event.text("hi, room", { chat: room() }), want: ["everything", "texts"] },
      { e: event.image(), want: ["everything", "images"] },
      { e: event.image({ chat: group() }), want: ["everything", "images"] },
      { e: event.follow(), want: ["everything", "follows"] },
      { e: event.sticker(), want: ["everything"] },
      {
        e: event.sticker("446", "1988", { chat: room() }),
        want: ["everything", "rooms-and-groups"],
      },
      { e: event.join(room()), want: ["everything", "rooms-and-groups"] },
      { e: event.join(), want: ["everything", "rooms-and-groups"] },
      { e: event.postback("a=1", { chat: group() }), want: ["everything"] },
    ];
    await bot.deliver(...cases.map((c) => c.e));
    for (const { e, want } of cases) {
      const label = `${e.type} in ${e.source?.type}`;
      expect({ label, ...(await routedTo(e.webhookEventId)) }).toEqual({
        label,
        delivered: want,
        ran: want,
      });
    }
    for (const row of await bot.deliveries()) expect(row.status).toBe("done");
  });

  test("an event type hotline does not know reaches only the catch-all plugin", async () => {
    const id = ulid();
    const future = {
      type: "somethingNew",
      timestamp: Date.now(),
      mode: "active",
      webhookEventId: id,
      deliveryContext: { isRedelivery: false },
      source: user(),
      replyToken: "0f3779fba3b349968c5d07db31eab56f",
    };
    const response = await bot.post(JSON.stringify(envelope([future])));
    expect(response.status).toBe(200);
    await bot.settle();
    expect(await routedTo(id)).toEqual({ delivered: ["everything"], ran: ["everything"] });
  });

  test("an unknown message type reaches only the catch-all plugin, not message:text", async () => {
    const text = event.text("placeholder");
    const odd = { ...text, message: { id: "1", type: "hologram", quoteToken: "q" } };
    await bot.deliver(odd);
    expect(await routedTo(text.webhookEventId)).toEqual({
      delivered: ["everything"],
      ran: ["everything"],
    });
  });
});

describe("routing without a catch-all", () => {
  let lone: TestBot;
  const loneDir = createPluginsDir();
  beforeAll(async () => {
    loneDir.write("texts.ts", recorder("texts", PLUGINS.texts));
    lone = await startTestBot({ pluginsDir: loneDir.dir });
  });
  afterAll(async () => {
    await lone.stop();
    loneDir.remove();
  });

  test("an event nobody subscribes to gets no delivery records and is settled at once", async () => {
    const sticker = event.sticker();
    await lone.deliver(sticker);
    expect(await lone.deliveries(sticker.webhookEventId)).toEqual([]);
    const [row] = await lone.storedEvents([sticker.webhookEventId]);
    expect(row?.status).toBe("done");
  });
});
