/**
 * The chat simulator's backend, over HTTP, against a bot in local mode with the real plugins: every
 * action must come out as a signed webhook the bot accepts, and the bot's answers must come back.
 * (test/e2e/simulator.browser.ts drives the page itself in Chromium.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import pino from "pino";
import { accountLinks } from "../../plugins/account-link/tables.ts";
import { archivedMedia } from "../../plugins/media-archiver.ts";
import { parseEnv } from "../../src/config/env.ts";
import {
  LOCAL_ACCESS_TOKEN,
  type LocalHotline,
  startLocalHotline,
} from "../../src/dev/local-mode.ts";
import { GROUP, PEOPLE } from "../../src/dev/simulator/simulator.ts";
import type { Entry } from "../../src/dev/simulator/transcript.ts";
import { pluginDatabase, startTestBot } from "../../src/dev/testing/mod.ts";
import type { Hotline } from "../../src/hotline.ts";
import { samplePng } from "../e2e/png.ts";
import { botText, EntryStream } from "./simulator-sse.ts";

const PLUGINS_DIR = fileURLToPath(new URL("../../plugins", import.meta.url));
const BUILT_IN_PLUGINS = [
  "account-link",
  "beacon-greeter",
  "echo",
  "media-archiver",
  "mention-responder",
];
const [alice, bob] = PEOPLE;
const logLines: string[] = [];
let dataDir: string;
let local: LocalHotline;
let hotline: Hotline;
let dev: string;
let stream: EntryStream;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "hotline-sim-"));
  local = await startLocalHotline({
    env: parseEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      PLUGINS_DIR,
      CONFIG_FILE: join(dataDir, "none.json"),
    }),
    log: pino({ level: "info" }, { write: (line: string) => void logLines.push(line) }),
    tuning: { watch: false },
  });
  hotline = local.hotline;
  dev = `${hotline.url}/dev`;
  stream = await EntryStream.open(`${dev}/api/stream`);
});
afterAll(async () => {
  await stream?.close();
  await local?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** What the simulator's actions answer. */
interface Answer {
  entry: Entry;
  result?: string;
  nonce?: string;
  error?: string;
}

async function call(path: string, body: unknown): Promise<{ status: number; body: Answer }> {
  const response = await fetch(`${dev}/api/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}
/** Performs an action; it must reach the webhook and be accepted. */
async function act(body: Record<string, unknown>): Promise<Entry> {
  const { status, body: answer } = await call("send", body);
  expect(status).toBe(200);
  expect((answer.entry as { status?: number }).status).toBe(200);
  return answer.entry;
}
const storedEvent = async (entry: Entry) => {
  const eventId = "eventId" in entry ? entry.eventId : undefined;
  const stored = eventId ? await hotline.store.readEvent(eventId) : undefined;
  if (!stored) throw new Error(`event ${eventId} was not stored`);
  return stored.parsed.event;
};
const after = (entry: Entry) => (e: Entry) => e.seq > entry.seq;
const botSays = (entry: Entry, text: string) => (e: Entry) =>
  after(entry)(e) && botText(e) === text && e.chat === entry.chat;

describe("the simulator in local mode", () => {
  test("the start-up log says where it is", () => {
    expect(local.simulatorUrl).toBe(dev);
    const messages = logLines.map((line) => JSON.parse(line).msg as string);
    expect(messages).toContain(
      `chat with the bot: open ${dev} (a LINE chat simulator; local mode only)`,
    );
    expect(messages).toContain("admin API disabled: set ADMIN_TOKEN to enable /admin");
  });

  test("serves its page", async () => {
    const page = await fetch(dev);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("<title>hotline · chat simulator</title>");
  });

  test("a 1:1 text is a signed webhook event; echo's reply comes back on the stream", async () => {
    const sent = await act({ type: "text", chat: "user", user: alice.id, text: "hello bot" });
    expect(sent).toMatchObject({ kind: "user", chat: `user:${alice.id}`, user: alice.id });
    expect(await storedEvent(sent)).toMatchObject({
      type: "message",
      source: { type: "user", userId: alice.id },
      message: { type: "text", text: "hello bot" },
    });
    const reply = await stream.next(botSays(sent, "hello bot"));
    expect(reply).toMatchObject({ via: "reply" });
    // The side panel's view of it: echo's delivery, done.
    const state = await (await fetch(`${dev}/api/state`)).json();
    const eventId = (sent as Entry & { eventId: string }).eventId;
    expect(state.receipts[eventId]).toContainEqual(
      expect.objectContaining({ plugin: "echo", status: "done" }),
    );
    // The panel lists every plugin the host runs (plugins/ may hold more than the built-ins, say
    // a scaffolded one), and the built-ins are among them, loaded.
    const listed = state.plugins as Array<{ name?: string; state: string }>;
    expect(listed.map((p) => p.name).sort()).toEqual(
      hotline.plugins
        .statuses()
        .map((status) => status.name)
        .sort(),
    );
    for (const name of BUILT_IN_PLUGINS)
      expect(listed.find((p) => p.name === name)).toMatchObject({ name, state: "loaded" });
  });

  test("mentioning @hotline in the group reaches mention-responder, which quotes it", async () => {
    const sent = await act({ type: "text", chat: "group", user: bob.id, text: "@hotline ping" });
    expect(await storedEvent(sent)).toMatchObject({
      source: { type: "group", groupId: GROUP.id, userId: bob.id },
      message: {
        mention: {
          mentionees: [
            {
              index: 0,
              length: 8,
              type: "user",
              userId: local.standIn.botUserId,
              isSelf: true,
            },
          ],
        },
      },
    });
    const pong = await stream.next(botSays(sent, "pong"));
    expect(pong).toMatchObject({ chat: `group:${GROUP.id}`, quoted: "@hotline ping" });
  });

  test("the header's commands are what help answers in each chat; plugins show their priority", async () => {
    const state = await (await fetch(`${dev}/api/state`)).json();
    const commands = state.commands as Record<
      "user" | "group",
      Array<{ word: string; usage: string; description?: string; plugin: string }>
    >;
    const asHelp = (rows: typeof commands.user) =>
      [
        "Commands:",
        ...rows.map((c) => (c.description ? `${c.usage} — ${c.description}` : c.usage)),
      ].join("\n");
    const helpIn = async (chat: "user" | "group", text: string) => {
      const sent = await act({ type: "text", chat, user: alice.id, text });
      const reply = await stream.next(
        (e) =>
          after(sent)(e) &&
          e.kind === "bot" &&
          e.chat === sent.chat &&
          /^Commands:/.test(botText(e) ?? ""),
      );
      return botText(reply);
    };
    expect(await helpIn("user", "help")).toBe(asHelp(commands.user));
    expect(await helpIn("group", "@hotline help")).toBe(asHelp(commands.group));
    // Each listed with its plugin: mention-responder's ping only where it answers (groups).
    expect(commands.group).toContainEqual(
      expect.objectContaining({ word: "ping", plugin: "mention-responder" }),
    );
    expect(commands.user.map((c) => c.word)).not.toContain("ping");
    expect(commands.user).toContainEqual(
      expect.objectContaining({ word: "link", plugin: "account-link" }),
    );
    expect(commands.user.at(-1)).toMatchObject({ word: "help", plugin: "hotline" });
    // The plugins in the order they answer in, each with its priority.
    const listed = state.plugins as Array<{ name: string; priority: number }>;
    const order = [...listed].sort(
      (a, b) => b.priority - a.priority || a.name.localeCompare(b.name),
    );
    expect(listed.map((p) => p.name)).toEqual(order.map((p) => p.name));
    expect(listed.find((p) => p.name === "echo")).toMatchObject({ priority: 0 });
  });

  test("a beacon enter is greeted by name", async () => {
    const sent = await act({ type: "beacon", user: alice.id });
    expect(await storedEvent(sent)).toMatchObject({
      type: "beacon",
      beacon: { type: "enter", hwid: "d41d8cd98f" },
    });
    await stream.next(botSays(sent, "Welcome, Alice!"));
  });

  test("follow and unfollow are sent as such", async () => {
    const follow = await act({ type: "follow", user: bob.id });
    expect(await storedEvent(follow)).toMatchObject({ type: "follow", source: { userId: bob.id } });
    const unfollow = await act({ type: "unfollow", user: bob.id });
    expect(await storedEvent(unfollow)).toMatchObject({
      type: "unfollow",
      source: { userId: bob.id },
    });
  });

  test("the stand-in knows the group and its members, as the bot's LINE calls see them", async () => {
    const get = async (path: string) => {
      const headers = { authorization: `Bearer ${LOCAL_ACCESS_TOKEN}` };
      const response = await local.standIn.fetch(
        new Request(`http://line.test${path}`, { headers }),
      );
      return response.json();
    };
    expect(await get(`/v2/bot/group/${GROUP.id}/summary`)).toMatchObject({ groupName: GROUP.name });
    expect((await get(`/v2/bot/group/${GROUP.id}/members/ids`)).memberIds).toContain(alice.id);
  });

  test("a tapped postback is a postback event, with a datetime picker's choice in params", async () => {
    const tap = await act({
      type: "postback",
      chat: "user",
      user: alice.id,
      data: "action=book",
      label: "Book",
      displayText: "Book a table",
      params: { datetime: "2025-01-20T09:30" },
    });
    expect(await storedEvent(tap)).toMatchObject({
      type: "postback",
      source: { userId: alice.id },
      postback: { data: "action=book", params: { datetime: "2025-01-20T09:30" } },
    });
    expect(tap).toMatchObject({
      kind: "user",
      message: { type: "postback", displayText: "Book a table" },
    });
    const { status } = await call("send", {
      type: "postback",
      chat: "user",
      user: alice.id,
      data: "d".repeat(301),
    });
    expect(status).toBe(400);
  });

  test("a rich menu switch to an unknown alias is a postback saying so", async () => {
    const tap = await act({
      type: "richmenuswitch",
      user: alice.id,
      aliasId: "nowhere",
      data: "go",
    });
    expect(await storedEvent(tap)).toMatchObject({
      type: "postback",
      postback: { data: "go", params: { status: "RICHMENU_ALIAS_ID_NOTFOUND" } },
    });
    const shown = await fetch(`${dev}/api/rich-menu?user=${alice.id}`);
    expect(await shown.json()).toEqual({ richMenu: null });
  });

  test("an uploaded image is served by the stand-in and archived; unsending deletes it", async () => {
    const png = samplePng();
    const upload = await fetch(`${dev}/api/upload?chat=user&user=${alice.id}&name=sunset.png`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: png,
    });
    expect(upload.status).toBe(200);
    const { entry } = (await upload.json()) as { entry: Entry & { kind: "user" } };
    expect(entry.message).toMatchObject({
      type: "image",
      contentType: "image/png",
      size: png.length,
    });
    const messageId = entry.message.id;
    expect(await storedEvent(entry)).toMatchObject({
      message: { type: "image", id: messageId, contentProvider: { type: "line" } },
    });

    await hotline.dispatcher.idle();
    const [archived] = await pluginDatabase(hotline.pluginState)
      .select()
      .from(archivedMedia)
      .where(eq(archivedMedia.messageId, messageId));
    expect(archived).toMatchObject({
      status: "archived",
      sha256: createHash("sha256").update(png).digest("hex"),
      size: png.length,
      contentType: "image/png",
    });
    const shown = await fetch(`${dev}/api/content/${messageId}`);
    expect(new Uint8Array(await shown.arrayBuffer())).toEqual(png);

    const unsent = await act({ type: "unsend", chat: "user", user: alice.id, messageId });
    expect(unsent).toMatchObject({ kind: "system", unsent: messageId });
    expect(await storedEvent(unsent)).toMatchObject({ type: "unsend", unsend: { messageId } });
    await hotline.dispatcher.idle();
    expect(
      await pluginDatabase(hotline.pluginState)
        .select()
        .from(archivedMedia)
        .where(eq(archivedMedia.messageId, messageId)),
    ).toEqual([]);
    // Gone at "LINE" too, as for a real unsend.
    const standIn = local.standIn;
    const content = await standIn?.fetch(
      new Request(`http://line/v2/bot/message/${messageId}/content`, {
        headers: { authorization: `Bearer ${LOCAL_ACCESS_TOKEN}` },
      }),
    );
    expect(content?.status).toBe(410);
  });

  test("a file upload is a file message with its name and size", async () => {
    const upload = await fetch(`${dev}/api/upload?chat=group&user=${bob.id}&name=notes.txt`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "minutes of the meeting",
    });
    const { entry } = (await upload.json()) as { entry: Entry };
    expect(await storedEvent(entry)).toMatchObject({
      source: { type: "group", groupId: GROUP.id, userId: bob.id },
      message: { type: "file", fileName: "notes.txt", fileSize: 22 },
    });
  });

  test("account link: sign in through the plugin's page; LINE's redirect becomes the event", async () => {
    const ask = async (who: string) => {
      const sent = await act({ type: "text", chat: "user", user: who, text: "link" });
      const offer = await stream.next(
        (e) =>
          after(sent)(e) &&
          e.kind === "bot" &&
          e.chat === sent.chat &&
          e.message.type === "template",
      );
      const actions = (
        offer as Entry & { message: { template: { actions: Array<{ uri: string }> } } }
      ).message.template.actions;
      return actions[0]?.uri as string;
    };

    // Someone else opening Alice's link: LINE reports the link failed, and nothing is linked.
    const alicesLink = await ask(alice.id);
    expect(alicesLink).toStartWith(`${hotline.url}/plugins/account-link/login?linkToken=`);
    const stolen = await call("account-link", {
      user: bob.id,
      url: alicesLink,
      providerUserId: "mallory",
    });
    expect(stolen.status).toBe(200);
    expect(stolen.body.result).toBe("failed");
    expect(await storedEvent(stolen.body.entry)).toMatchObject({
      type: "accountLink",
      link: { result: "failed" },
    });
    // The page refuses a link token that was used.
    const reused = await call("account-link", {
      user: alice.id,
      url: alicesLink,
      providerUserId: "alice",
    });
    expect(reused.status).toBe(422);
    expect(reused.body.error).toBe("the sign-in page answered 409: This link was already used");

    const fresh = await ask(alice.id);
    const linked = await call("account-link", {
      user: alice.id,
      url: fresh,
      providerUserId: "alice@example.com",
    });
    expect(linked.body.result).toBe("ok");
    expect(await storedEvent(linked.body.entry)).toMatchObject({
      type: "accountLink",
      source: { type: "user", userId: alice.id },
      link: { result: "ok", nonce: linked.body.nonce },
    });
    await stream.next(
      botSays(
        linked.body.entry,
        'Your LINE account is now linked to alice@example.com. Send "unlink" at any time to undo it.',
      ),
    );
    await hotline.dispatcher.idle();
    expect(
      await pluginDatabase(hotline.pluginState)
        .select()
        .from(accountLinks)
        .where(eq(accountLinks.lineUserId, alice.id)),
    ).toMatchObject([{ providerUserId: "alice@example.com" }]);
  });

  test("a stream resumed with Last-Event-ID replays only what came after", async () => {
    const marker = await act({ type: "text", chat: "user", user: bob.id, text: "marker" });
    const resumed = await EntryStream.open(`${dev}/api/stream`, marker.seq - 1);
    try {
      const first = await resumed.next(() => true);
      expect(first.seq).toBe(marker.seq);
    } finally {
      await resumed.close();
    }
  });

  test("bad input gets a 400 that names the field", async () => {
    const unknown = await call("send", { type: "text", chat: "user", user: "Unobody", text: "x" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error ?? "").toStartWith("user: ");
    expect(await call("send", { type: "shout", user: alice.id })).toMatchObject({ status: 400 });
    const empty = await fetch(`${dev}/api/upload?chat=user&user=${alice.id}`, { method: "POST" });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ error: "the upload is empty" });
  });
});

test("with LINE credentials there is no simulator", async () => {
  const bot = await startTestBot();
  try {
    const response = await fetch(`${bot.url}/dev`);
    expect(response.status).toBe(404);
    await response.text();
  } finally {
    await bot.stop();
  }
});

describe("the simulator refuses other sites", () => {
  const send = (headers: Record<string, string>) =>
    fetch(`${dev}/api/send`, {
      method: "POST",
      // A "simple" cross-site request: no preflight would stop a browser from sending it.
      headers: { "content-type": "text/plain", ...headers },
      body: JSON.stringify({ type: "text", chat: "user", user: alice.id, text: "forged" }),
    });

  test("a POST from another site's page is refused, and nothing reaches the bot", async () => {
    // Earlier tests' events are settled first, so the count moves only if a forged one got in.
    await hotline.dispatcher.idle();
    const before = (await hotline.store.eventCounts()).done;
    const foreign: Array<Record<string, string>> = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
    ];
    for (const headers of foreign) {
      const refused = await send(headers);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: expect.stringContaining("simulator") });
    }
    expect((await hotline.store.eventCounts()).done).toBe(before);
    // The simulator's own page still may: its origin is the bot's.
    expect((await send({ origin: new URL(dev).origin })).status).toBe(200);
  });

  test("a foreign Host (DNS rebinding) reads nothing", async () => {
    for (const path of ["/api/session", "/api/state", "", "/api/stream"]) {
      const response = await fetch(`${dev}${path}`, { headers: { host: "attacker.example" } });
      expect(response.status).toBe(403);
      await response.body?.cancel();
    }
    const own = await fetch(`${dev}/api/session`, {
      headers: { host: `localhost:${new URL(dev).port}` },
    });
    expect(own.status).toBe(200);
    await own.body?.cancel();
  });
});
