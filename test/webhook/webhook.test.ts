import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { KNOWN_EVENT_TYPES, KNOWN_MESSAGE_TYPES } from "../../src/core/events.ts";
import {
  createPluginsDir,
  envelope,
  event,
  eventId,
  group,
  room,
  signBody,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";
import { BodyTooLargeError, readBody } from "../../src/webhook/read-body.ts";
import { DOCUMENTED_EVENT_TYPES, DOCUMENTED_MESSAGE_TYPES } from "./documented-types.ts";

const PROJECT_ROOT = resolve(import.meta.dirname, "../..");
const EXAMPLES_DIR = resolve(PROJECT_ROOT, "../shared/line-examples");

// Every documented type must have a case below (and be in the model).
const TYPED_QUERIES = [
  ...DOCUMENTED_EVENT_TYPES,
  ...DOCUMENTED_MESSAGE_TYPES.map((type) => `message:${type}`),
];

/**
 * Each handler leaves one KV record per call (a fresh key, so a second delivery of the same event
 * shows up as a second record instead of overwriting the first).
 */
const RECORD = `
async function record(query, event, ctx) {
  const inner = event.message;
  const messageType = inner && typeof inner.type === "string" ? inner.type : null;
  await ctx.kv.set(ctx.eventId + "|" + query + "|" + crypto.randomUUID(), { type: event.type, messageType });
}
`;
const RECORD_ALL_PLUGIN = `import { definePlugin } from "hotline";
${RECORD}
export default definePlugin({
  name: "record-all",
  on: { "*": (event, ctx) => record("*", event, ctx) },
});
`;
/** Subscribed to every known query: whatever reaches it was routed as a known, typed event. */
const RECORD_TYPED_PLUGIN = `import { definePlugin } from "hotline";
${RECORD}
export default definePlugin({
  name: "record-typed",
  on: {
${TYPED_QUERIES.map((q) => `    ${JSON.stringify(q)}: (event, ctx) => record(${JSON.stringify(q)}, event, ctx),`).join("\n")}
  },
});
`;

type Sent = { webhookEventId?: string; type: string; replyToken?: string };

interface Handled {
  query: string;
  type: string;
  messageType: string | null;
}

/**
 * Says texts back in 1:1 chats. Not the built-in echo: that one is a fallback, which the recording
 * plugins' handlers (they claim every event) keep from running.
 */
const SAY_BACK_PLUGIN = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "say-back",
  chats: ["user"],
  on: { "message:text": (event, ctx) => ctx.reply(event.message.text) },
});
`;

let bot: TestBot;
let scratch: ReturnType<typeof createPluginsDir>;

beforeAll(async () => {
  scratch = createPluginsDir();
  scratch.write("record-all.ts", RECORD_ALL_PLUGIN);
  scratch.write("record-typed.ts", RECORD_TYPED_PLUGIN);
  scratch.write("say-back.ts", SAY_BACK_PLUGIN);
  bot = await startTestBot({ pluginsDir: scratch.dir });
  const states = bot.hotline.plugins.statuses().map((s) => `${s.name}:${s.state}:${s.error ?? ""}`);
  expect(states.sort()).toEqual(["record-all:loaded:", "record-typed:loaded:", "say-back:loaded:"]);
});
afterAll(async () => {
  await bot?.stop();
  scratch?.remove();
});

const storedRows = (id: string) => bot.storedEvents([id]);
const storedCount = () => bot.storedCount();

async function handled(plugin: string, eventId: string): Promise<Handled[]> {
  const entries = await bot.kv(plugin).list<object>(`${eventId}|`);
  return entries.map(
    (entry) => ({ query: entry.key.split("|")[1] ?? "", ...entry.value }) as Handled,
  );
}

async function routedTo(eventId: string): Promise<string[]> {
  return (await bot.deliveries(eventId)).map((d) => d.plugin).sort();
}

async function errorOf(response: Response): Promise<string> {
  const body = (await response.json()) as { error?: unknown };
  expect(typeof body.error).toBe("string");
  return body.error as string;
}

describe("POST /webhook", () => {
  test("a signed text event is acked 200 and echoed through the LINE API", async () => {
    const text = event.text("hello");
    const response = await bot.send(text);
    expect(response.status).toBe(200);
    expect(await bot.waitForReply(text)).toEqual([{ type: "text", text: "hello" }]);
  });

  test("a forged signature gets 401 and stores nothing", async () => {
    const body = JSON.stringify(envelope([event.text("forged")]));
    const response = await bot.post(body, {
      signature: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toContain("invalid x-line-signature");
    await bot.settle();
    expect(bot.sentTexts()).not.toContain("forged");
  });

  test("the body is read raw whatever the content type says", async () => {
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", ""]) {
      const text = event.text(`as ${contentType || "nothing"}`);
      const response = await bot.post(JSON.stringify(envelope([text])), {
        headers: { "content-type": contentType },
      });
      expect(response.status).toBe(200);
      expect(await storedRows(text.webhookEventId)).toHaveLength(1);
      await bot.settle();
    }
  });
});

describe("400: not a webhook body", () => {
  const cases: Array<[string, string | Uint8Array<ArrayBuffer>, RegExp]> = [
    ["not JSON", "i am not jason", /^body is not valid JSON: /],
    ["truncated JSON", '{"events":[', /^body is not valid JSON: /],
    [
      "not UTF-8",
      new Uint8Array([...new TextEncoder().encode('{"events":[],"x":"'), 0xff, 0xfe, 0x22, 0x7d]),
      /^body is not valid UTF-8/,
    ],
    ["a JSON array", "[]", /^not a webhook body: body: /],
    ["a JSON string", '"events"', /^not a webhook body: body: /],
    ["JSON null", "null", /^not a webhook body: body: /],
    ["a JSON number", "42", /^not a webhook body: body: /],
    ["events missing", '{"destination":"U1"}', /^not a webhook body: events: /],
    ["events an object", '{"events":{}}', /^not a webhook body: events: /],
    ["events a string", '{"events":"[]"}', /^not a webhook body: events: /],
    ["events null", '{"events":null}', /^not a webhook body: events: /],
    ["destination a number", '{"destination":5,"events":[]}', /^not a webhook body: destination: /],
    ["destination null", '{"destination":null,"events":[]}', /^not a webhook body: destination: /],
  ];

  test.each(cases)("%s → 400 with a one-line reason, nothing stored", async (_, body, reason) => {
    const before = await storedCount();
    const response = await bot.post(body);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error).toMatch(reason);
    expect(error).not.toContain("\n");
    expect(await storedCount()).toBe(before);
  });

  test("{events: []} is the console's verify ping: 200, with or without destination", async () => {
    for (const body of ['{"events":[]}', '{"destination":"U0","events":[]}']) {
      const response = await bot.post(body);
      expect(response.status).toBe(200);
    }
  });

  test("a missing destination is fine: the events are stored and handled", async () => {
    const text = event.text("no destination");
    bot.line.issueReplyToken(text.replyToken);
    const response = await bot.post(JSON.stringify({ events: [text] }));
    expect(response.status).toBe(200);
    expect(await bot.waitForReply(text)).toEqual([{ type: "text", text: "no destination" }]);
    expect((await storedRows(text.webhookEventId))[0]?.destination).toBeNull();
  });
});

describe("every documented event and message type", () => {
  test("the model knows exactly the documented types", () => {
    expect(([...KNOWN_EVENT_TYPES] as string[]).sort()).toEqual([...DOCUMENTED_EVENT_TYPES].sort());
    expect(([...KNOWN_MESSAGE_TYPES] as string[]).sort()).toEqual(
      [...DOCUMENTED_MESSAGE_TYPES].sort(),
    );
  });

  const cases: Array<[string, () => Sent, string[]]> = [
    ["message:text", () => event.text("typed"), ["message", "message:text"]],
    ["message:image", () => event.image(), ["message", "message:image"]],
    ["message:video", () => event.video(), ["message", "message:video"]],
    ["message:audio", () => event.audio(), ["message", "message:audio"]],
    ["message:file", () => event.file(), ["message", "message:file"]],
    ["message:location", () => event.location(), ["message", "message:location"]],
    ["message:sticker", () => event.sticker(), ["message", "message:sticker"]],
    [
      "message:text in a group",
      () => event.text("in a group", { chat: group() }),
      ["message", "message:text"],
    ],
    ["message:image in a room", () => event.image({ chat: room() }), ["message", "message:image"]],
    ["messageEdited", () => event.messageEdited("edited"), ["messageEdited"]],
    ["unsend", () => event.unsend("325708"), ["unsend"]],
    ["follow", () => event.follow(), ["follow"]],
    ["unfollow", () => event.unfollow(), ["unfollow"]],
    ["join (group)", () => event.join(), ["join"]],
    ["join (room)", () => event.join(room(undefined, null)), ["join"]],
    ["leave", () => event.leave(), ["leave"]],
    ["memberJoined", () => event.memberJoined(), ["memberJoined"]],
    ["memberLeft", () => event.memberLeft(), ["memberLeft"]],
    [
      "postback",
      () => event.postback("action=buy", { params: { date: "2026-01-01" } }),
      ["postback"],
    ],
    ["videoPlayComplete", () => event.videoPlayComplete("track-1"), ["videoPlayComplete"]],
    ["beacon", () => event.beacon("enter"), ["beacon"]],
    ["accountLink ok", () => event.accountLink("ok"), ["accountLink"]],
    ["accountLink failed (no source)", () => event.accountLink("failed"), ["accountLink"]],
    ["membership", () => event.membership("renewed"), ["membership"]],
    ["module attached", () => event.module("attached"), ["module"]],
    ["module detached", () => event.module("detached"), ["module"]],
    ["activated", () => event.activated(), ["activated"]],
    ["deactivated", () => event.deactivated(), ["deactivated"]],
    ["botSuspended", () => event.botSuspended(), ["botSuspended"]],
    ["botResumed", () => event.botResumed(), ["botResumed"]],
    ["delivery", () => event.delivery(), ["delivery"]],
  ];

  test("the cases cover every documented event and message type", () => {
    const covered = new Set(cases.flatMap(([, , queries]) => queries));
    for (const query of TYPED_QUERIES) expect(covered).toContain(query);
  });

  test.each(cases)(
    "%s: acked 200, stored once as sent, handled as known",
    async (_, make, queries) => {
      const sent = make();
      const response = await bot.send(sent);
      expect(response.status).toBe(200);
      await bot.settle();

      const rows = await storedRows(eventId(sent));
      expect(rows).toHaveLength(1);
      expect(rows[0]?.type).toBe(sent.type);
      expect(JSON.parse(rows[0]?.body ?? "null")).toEqual(sent);

      const messageType =
        (sent as { message?: { type?: string } }).message?.type ?? (null as string | null);
      const expected = (query: string) => ({ query, type: sent.type, messageType });
      const typed = await handled("record-typed", eventId(sent));
      expect(typed.sort((a, b) => a.query.localeCompare(b.query))).toEqual(
        [...queries].sort().map(expected),
      );
      expect(await handled("record-all", eventId(sent))).toEqual([expected("*")]);
    },
  );
});

describe("unknown events are stored as sent and reach only '*'", () => {
  const unknownMessage = () => {
    const sent = event.text("placeholder");
    return {
      ...sent,
      message: { id: "468789577898262530", type: "hologram", hologram: { frames: 3 } },
    };
  };
  const cases: Array<[string, () => Sent & { message?: { type: string } }, string]> = [
    [
      "an unknown event type",
      () => ({ ...event.unfollow(), type: "greatNewFeature", greatNewFeature: { level: 9 } }),
      "greatNewFeature",
    ],
    ["an unknown message type", unknownMessage, "message"],
    [
      "an unknown message type in messageEdited",
      () => ({ ...unknownMessage(), type: "messageEdited" }),
      "messageEdited",
    ],
    [
      "a known type with a malformed body",
      () => ({ ...event.postback("x"), postback: { params: {} } }),
      "postback",
    ],
    [
      "a source type LINE may add later",
      () => ({ ...event.text("from a square"), source: { type: "square", squareId: "S1" } }),
      "message",
    ],
  ];

  test.each(cases)("%s: acked 200, body kept as is, only '*' gets it", async (_, make, type) => {
    const sent = make();
    const response = await bot.send(sent);
    expect(response.status).toBe(200);
    await bot.settle();

    const rows = await storedRows(eventId(sent));
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]?.body ?? "null")).toEqual(sent);
    expect(rows[0]?.type).toBe(type);
    expect(await routedTo(eventId(sent))).toEqual(["record-all"]);
    expect(await handled("record-all", eventId(sent))).toEqual([
      { query: "*", type, messageType: sent.message?.type ?? null },
    ]);
    expect(await handled("record-typed", eventId(sent))).toEqual([]);
    expect(bot.repliesTo(sent)).toEqual([]);
  });

  test("odd elements of `events` never fail the batch", async () => {
    const marker = crypto.randomUUID();
    const odd = [42, {}, null, `odd ${marker}`, [marker], { type: 7, marker }];
    const text = event.text("next to odd ones");
    bot.line.issueReplyToken(text.replyToken);
    const body = JSON.stringify({
      destination: "Ufedcba9876543210fedcba9876543210",
      events: [odd[0], odd[1], text, odd[2], odd[3], odd[4], odd[5]],
    });
    const response = await bot.post(body);
    expect(response.status).toBe(200);
    expect(await bot.waitForReply(text)).toEqual([{ type: "text", text: "next to odd ones" }]);
    await bot.settle();

    for (const value of odd) {
      const rows = (await bot.storedEvents()).filter((row) => row.body === JSON.stringify(value));
      expect(rows).toHaveLength(1);
      const row = rows[0];
      if (!row) continue;
      expect(row.type).toBe("invalid");
      expect(await routedTo(row.id)).toEqual(["record-all"]);
      expect(await handled("record-all", row.id)).toEqual([
        { query: "*", type: "invalid", messageType: null },
      ]);
    }
  });
});

describe("dedup", () => {
  test("the same event posted twice is stored once and handled once", async () => {
    const text = event.text("twice");
    expect((await bot.send(text)).status).toBe(200);
    expect(await bot.waitForReply(text)).toHaveLength(1);
    await bot.settle();
    expect((await bot.send(text)).status).toBe(200);
    await bot.settle();

    expect(await storedRows(text.webhookEventId)).toHaveLength(1);
    expect(await handled("record-all", text.webhookEventId)).toHaveLength(1);
    expect(bot.line.replies.filter((r) => r.replyToken === text.replyToken)).toHaveLength(1);
  });

  test("a redelivery (isRedelivery: true) of a stored event is not stored or handled again", async () => {
    const original = event.text("redelivered");
    expect((await bot.send(original)).status).toBe(200);
    await bot.settle();
    const redelivery = { ...original, deliveryContext: { isRedelivery: true } };
    expect((await bot.send(redelivery)).status).toBe(200);
    await bot.settle();

    const rows = await storedRows(original.webhookEventId);
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]?.body ?? "null").deliveryContext).toEqual({ isRedelivery: false });
    expect(await handled("record-all", original.webhookEventId)).toHaveLength(1);
    expect(bot.repliesTo(original)).toHaveLength(1);
  });

  test("the same event twice in one request is stored and handled once", async () => {
    const follow = event.follow();
    expect((await bot.send(follow, follow)).status).toBe(200);
    await bot.settle();
    expect(await storedRows(follow.webhookEventId)).toHaveLength(1);
    expect(await handled("record-all", follow.webhookEventId)).toHaveLength(1);
  });

  test("events without webhookEventId: identical redeliveries dedup, different events do not", async () => {
    const withoutId = <T extends Sent>(sent: T): Omit<T, "webhookEventId"> => {
      const { webhookEventId: _, ...rest } = sent;
      return rest;
    };
    const first = withoutId(event.postback(`first ${crypto.randomUUID()}`));
    const second = withoutId(event.postback(`second ${crypto.randomUUID()}`));
    const before = await storedCount();

    expect((await bot.post(JSON.stringify(envelope([first])))).status).toBe(200);
    await bot.settle();
    // Same content, other bytes: other whitespace and key order, and flagged as a redelivery.
    const again = Object.fromEntries(
      Object.entries({ ...first, deliveryContext: { isRedelivery: true } }).reverse(),
    );
    expect((await bot.post(JSON.stringify(envelope([again]), null, 2))).status).toBe(200);
    await bot.settle();
    expect((await bot.post(JSON.stringify(envelope([second])))).status).toBe(200);
    await bot.settle();

    expect(await storedCount()).toBe(before + 2);
    const rows = (await bot.storedEvents()).filter((row) => row.body.includes(first.postback.data));
    expect(rows).toHaveLength(1);
    const id = rows[0]?.id ?? "";
    expect(id).toMatch(/^derived-[0-9a-f]{32}$/);
    expect(await handled("record-all", id)).toHaveLength(1);
  });
});

describe("batches and concurrency", () => {
  test("one request with events from several users and chats: all stored, each handled", async () => {
    const users = [1, 2, 3].map((n) => `U${String(n).repeat(32)}`);
    const texts = users.map((id, i) => event.text(`user ${i}`, { chat: user(id) }));
    const inGroup = event.text("group", { chat: group() });
    const follow = event.follow({ chat: user(users[0]) });
    const all: Sent[] = [...texts, inGroup, follow];
    expect((await bot.send(...all)).status).toBe(200);

    for (const [i, text] of texts.entries()) {
      expect(await bot.waitForReply(text)).toEqual([{ type: "text", text: `user ${i}` }]);
    }
    await bot.settle();
    for (const sent of all) {
      expect(await storedRows(eventId(sent))).toHaveLength(1);
      expect(await handled("record-all", eventId(sent))).toHaveLength(1);
    }
    // say-back answers 1:1 chats only.
    expect(bot.repliesTo(inGroup)).toEqual([]);
  });

  test("50 concurrent requests, overlapping pairwise, are all acked and stored once", async () => {
    const events = Array.from({ length: 50 }, (_, i) =>
      event.postback(`concurrent ${i}`, { chat: user(`U${i.toString(16).padStart(32, "c")}`) }),
    );
    const before = await storedCount();
    // Each request carries its own event and its neighbour's: every event arrives twice at once.
    const responses = await Promise.all(
      events.map((sent, i) => bot.send(sent, events[(i + 1) % events.length] as Sent)),
    );
    expect(responses.map((r) => r.status)).toEqual(events.map(() => 200));
    // Acked means committed: nothing to wait for before looking.
    expect(await storedCount()).toBe(before + events.length);
    for (const sent of events) expect(await storedRows(sent.webhookEventId)).toHaveLength(1);
    await bot.settle();
    for (const sent of events)
      expect(await handled("record-all", sent.webhookEventId)).toHaveLength(1);
  });
});

describe("events acked while plugins write their state", () => {
  // Routing reads before it writes while plugin workers write on their own connections: a
  // DEFERRED transaction failed its lock upgrade at once (SQLITE_BUSY) and left events unrouted.
  test("are all routed and handled", async () => {
    const dir = createPluginsDir();
    dir.write(
      "busy-writer.ts",
      `import { definePlugin } from "hotline";
export default definePlugin({
  name: "busy-writer",
  on: { "*": async (event, ctx) => { for (let i = 0; i < 30; i++) await ctx.kv.set("k" + (i % 5), i); } },
});
`,
    );
    const busy = await startTestBot({ pluginsDir: dir.dir });
    try {
      const events = Array.from({ length: 10 }, (_, i) =>
        event.postback(`while busy ${i}`, { chat: user(`U${i.toString(16).padStart(32, "b")}`) }),
      );
      for (const sent of events) expect((await busy.send(sent)).status).toBe(200);
      await busy.settle();
      expect((await busy.hotline.store.depth()).open).toBe(0);
      for (const sent of events) {
        expect((await busy.deliveries(sent.webhookEventId)).map((d) => d.status)).toEqual(["done"]);
      }
    } finally {
      await busy.stop();
      dir.remove();
    }
  });
});

describe("401 does no work", () => {
  test("a forged request: nothing stored, no plugin runs, no LINE API call", async () => {
    const text = event.text("forged");
    bot.line.issueReplyToken(text.replyToken);
    const requests = bot.line.requests.length;
    const before = await storedCount();
    const response = await bot.post(JSON.stringify(envelope([text])), {
      signature: "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM=",
    });
    expect(response.status).toBe(401);
    await bot.settle();
    expect(await storedCount()).toBe(before);
    expect(await storedRows(text.webhookEventId)).toEqual([]);
    expect(await handled("record-all", text.webhookEventId)).toEqual([]);
    expect(bot.line.requests.length).toBe(requests);
  });
});

describe("readBody: the portable streaming cap", () => {
  const post = (body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    new Request("http://127.0.0.1/webhook", {
      method: "POST",
      headers,
      body,
      duplex: "half",
    } as RequestInit);

  test("a chunked body that never ends is cut off just past the cap", async () => {
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    await expect(readBody(post(endless), 2048)).rejects.toBeInstanceOf(BodyTooLargeError);
    // 3 KiB passes the 2 KiB cap; a few chunks of read-ahead are fine, reading on is not.
    expect(pulls).toBeLessThan(10);
  });

  test("a Content-Length that understates the body does not get past the cap", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(5000));
        controller.close();
      },
    });
    await expect(readBody(post(body, { "content-length": "10" }), 2048)).rejects.toBeInstanceOf(
      BodyTooLargeError,
    );
  });

  test("an honest Content-Length over the cap is refused before reading", async () => {
    const request = post(new Blob([new Uint8Array(4096)]).stream(), { "content-length": "4096" });
    await expect(readBody(request, 2048)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(request.bodyUsed).toBe(false);
  });

  test("chunks up to exactly the cap are joined byte for byte", async () => {
    const parts = [
      new Uint8Array(1000).fill(1),
      new Uint8Array(1000).fill(2),
      new Uint8Array(48).fill(3),
    ];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    const bytes = await readBody(post(body), 2048);
    expect(bytes).toEqual(new Uint8Array(parts.flatMap((part) => [...part])));
  });
});

describe("413 over WEBHOOK_MAX_BODY_BYTES", () => {
  const LIMIT = 2048;
  let small: TestBot;
  beforeAll(async () => {
    small = await startTestBot({ env: { WEBHOOK_MAX_BODY_BYTES: String(LIMIT) } });
  });
  afterAll(() => small?.stop());

  /** A signed-able envelope padded with JSON whitespace to exactly `size` bytes. */
  function bodyOfSize(sent: Sent, size: number): string {
    const json = JSON.stringify(envelope([sent]));
    return json + " ".repeat(size - new TextEncoder().encode(json).byteLength);
  }
  const stored = (id: string) => small.storedEvents([id]);

  test("exactly at the cap is accepted", async () => {
    const follow = event.follow();
    const response = await small.post(bodyOfSize(follow, LIMIT));
    expect(response.status).toBe(200);
    expect(await stored(follow.webhookEventId)).toHaveLength(1);
  });

  test("one byte over, with an honest Content-Length: 413, nothing stored", async () => {
    const follow = event.follow();
    const response = await small.post(bodyOfSize(follow, LIMIT + 1));
    expect(response.status).toBe(413);
    expect(await stored(follow.webhookEventId)).toEqual([]);
  });

  test("over the cap as a chunked body without Content-Length: 413, nothing stored", async () => {
    const follow = event.follow();
    const bytes = new TextEncoder().encode(bodyOfSize(follow, LIMIT * 3));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 512) controller.enqueue(bytes.slice(i, i + 512));
        controller.close();
      },
    });
    const response = await fetch(small.webhookUrl, {
      method: "POST",
      headers: { "x-line-signature": signBody(small.secret, bytes) },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await stored(follow.webhookEventId)).toEqual([]);
  });
});

describe("LINE's example webhook bodies", () => {
  const exists = existsSync(EXAMPLES_DIR);
  if (!exists) {
    test.skip(`skipped: ${EXAMPLES_DIR} does not exist (LINE's examples are not beside the project)`, () => {});
    return;
  }
  const files = [
    ...readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith(".json")),
    ...readdirSync(join(EXAMPLES_DIR, "batches"))
      .filter((f) => f.endsWith(".json"))
      .map((f) => `batches/${f}`),
  ].sort();

  let plain: TestBot;
  beforeAll(async () => {
    plain = await startTestBot();
  });
  afterAll(() => plain?.stop());

  test("there are examples to post", () => {
    expect(files.length).toBeGreaterThan(170);
  });

  test.each(files)("%s is acked 200 and its events stored", async (file) => {
    const bytes = readFileSync(join(EXAMPLES_DIR, file));
    const response = await plain.post(new Uint8Array(bytes));
    expect(response.status).toBe(200);
    const { events } = JSON.parse(bytes.toString("utf8")) as { events: unknown[] };
    for (const sent of events) {
      const id = (sent as { webhookEventId?: unknown }).webhookEventId;
      if (typeof id !== "string" || id === "") continue;
      const rows = await plain.storedEvents([id]);
      expect(rows).toHaveLength(1);
    }
  });
});
