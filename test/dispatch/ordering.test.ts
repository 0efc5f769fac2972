import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";

/**
 * Records, per chat, the timestamps of the events it handled in the order it handled them, and
 * flags any chat whose handler was entered while another of its events was still running. The
 * short wait inside the handler gives an overlap, if the dispatcher allowed one, time to happen.
 */
const ORDERLY = `
import { definePlugin } from "hotline";
const busy = new Set();
const seen = new Map();
let running = 0;
let maxRunning = 0;
export default definePlugin({
  name: "orderly",
  on: {
    "message:text": async (event, ctx) => {
      const chat = ctx.chat.id;
      if (busy.has(chat)) await ctx.kv.set("overlap:" + chat, event.timestamp);
      busy.add(chat);
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        await new Promise((resolve) => setTimeout(resolve, 2));
        const list = seen.get(chat) ?? [];
        list.push(event.timestamp);
        seen.set(chat, list);
        // "<chat>/<index>/<events in the chat>": written once the chat's last one is handled.
        const total = Number(event.message.text.split("/")[2]);
        if (list.length === total) {
          await ctx.kv.set("seq:" + chat, list);
          await ctx.kv.set("maxRunning", maxRunning);
        }
      } finally {
        busy.delete(chat);
        running--;
      }
    },
  },
});
`;

/**
 * "wait <gate> <ms>" blocks until "release <gate>" has been handled by the same worker (or gives
 * up after <ms>), and records which of the two happened.
 */
const GATE = `
import { definePlugin } from "hotline";
const gates = new Map();
const gate = (name) => {
  if (!gates.has(name)) {
    let open;
    const opened = new Promise((resolve) => { open = resolve; });
    gates.set(name, { opened, open });
  }
  return gates.get(name);
};
export default definePlugin({
  name: "gate",
  on: {
    "message:text": async (event, ctx) => {
      const [command, name, ms] = event.message.text.split(" ");
      if (command === "wait") {
        const outcome = await Promise.race([
          gate(name).opened.then(() => "released"),
          new Promise((resolve) => setTimeout(() => resolve("timed out"), Number(ms))),
        ]);
        await ctx.kv.set("wait:" + name, outcome);
      } else if (command === "release") {
        gate(name).open();
        await ctx.kv.set("release:" + name, "handled");
      }
    },
  },
});
`;

async function kv(bot: TestBot, plugin: string): Promise<Map<string, unknown>> {
  const entries = await bot.kv(plugin).list();
  return new Map(entries.map((entry) => [entry.key, entry.value]));
}

const userId = (n: number) => `U${n.toString(16).padStart(32, "0")}`;

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

let bot: TestBot;
const dir = createPluginsDir();
beforeAll(async () => {
  dir.write("orderly.ts", ORDERLY);
  dir.write("gate.ts", GATE);
  bot = await startTestBot({ pluginsDir: dir.dir });
});
afterAll(async () => {
  await bot.stop();
  dir.remove();
});

describe("per-chat order", () => {
  test("20 chats × 10 events, posted shuffled in one batch: each chat in timestamp order, one at a time", async () => {
    const CHATS = 20;
    const PER_CHAT = 10;
    const base = Date.now() - 60_000;
    const events = [];
    for (let c = 0; c < CHATS; c++) {
      for (let i = 0; i < PER_CHAT; i++) {
        events.push(
          event.text(`${c}/${i}/${PER_CHAT}`, {
            chat: user(userId(c)),
            timestamp: base + i * 100 + c,
          }),
        );
      }
    }
    await bot.deliver(...shuffle(events));

    const state = await kv(bot, "orderly");
    for (let c = 0; c < CHATS; c++) {
      const expected = Array.from({ length: PER_CHAT }, (_, i) => base + i * 100 + c);
      expect({ chat: c, seq: state.get(`seq:${userId(c)}`) }).toEqual({ chat: c, seq: expected });
    }
    expect([...state.keys()].filter((key) => key.startsWith("overlap:"))).toEqual([]);
    // Chats do not wait for one another: several were being handled at the same moment.
    expect(state.get("maxRunning") as number).toBeGreaterThan(1);
    expect((await bot.deliveries()).every((row) => row.status === "done")).toBe(true);
  });
});

describe("chats in parallel", () => {
  test("a chat whose handler is blocked does not hold back another chat", async () => {
    const blocked = event.text("wait g1 5000", { chat: user(userId(101)) });
    const other = event.text("release g1", { chat: user(userId(102)) });
    expect((await bot.send(blocked)).status).toBe(200);
    expect((await bot.send(other)).status).toBe(200);
    await bot.settle();
    // Had the second chat waited for the first, "wait" would have given up after 5 s.
    const state = await kv(bot, "gate");
    expect([state.get("wait:g1"), state.get("release:g1")]).toEqual(["released", "handled"]);
  });

  test("control: within one chat the later event waits for the blocked one to finish", async () => {
    const chat = user(userId(103));
    const now = Date.now();
    const blocked = event.text("wait g2 300", { chat, timestamp: now });
    const later = event.text("release g2", { chat, timestamp: now + 1 });
    expect((await bot.send(blocked)).status).toBe(200);
    expect((await bot.send(later)).status).toBe(200);
    await bot.settle();
    const state = await kv(bot, "gate");
    expect([state.get("wait:g2"), state.get("release:g2")]).toEqual(["timed out", "handled"]);
  });
});
