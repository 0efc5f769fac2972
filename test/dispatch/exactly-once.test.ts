/**
 * The exactly-once reply rule at unit level: the real Store on a SQLite file, the real
 * ReplySender and LineClient, and the LINE stand-in on loopback behind a small proxy that can lose
 * an answer after LINE has acted on the request (what a 5xx or a timeout may mean).
 */
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/core/clock.ts";
import type { Message } from "../../src/core/message.ts";
import { parseEvent } from "../../src/core/parsed-event.ts";
import { LineStandIn, type RecordedRequest } from "../../src/dev/line-stand-in/mod.ts";
import type { Contribution } from "../../src/dispatch/reply-batch.ts";
import {
  REPLY_TOKEN_TTL_MS,
  ReplySender,
  type ReplyTarget,
} from "../../src/dispatch/reply-sender.ts";
import { LineClient } from "../../src/line/client.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.ts";

const TOKEN = "exactly-once-token";
const USER = "U00000000000000000000000000000e1e";
const text = (value: string): Message => ({ type: "text", text: value });
const isReply = (r: RecordedRequest) => r.path === "/v2/bot/message/reply";
const isPush = (r: RecordedRequest) => r.path === "/v2/bot/message/push";

let clock: ManualClock;
let standIn: LineStandIn;
/** When set, the proxy answers through it instead of passing the request straight on. */
let intercept: ((request: Request) => Promise<Response>) | undefined;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (request) => (intercept ? intercept(request) : standIn.fetch(request)),
});
const baseUrl = `http://127.0.0.1:${server.port}`;
afterAll(() => server.stop(true));

let dataDir: string;
let stores: SqliteStore[];

/** One process's worth of parts on the shared database file; a "restart" makes another. */
function boot() {
  const store = SqliteStore.open(dataDir, clock);
  stores.push(store);
  const line = new LineClient({
    channelAccessToken: TOKEN,
    apiBaseUrl: baseUrl,
    log: silentLogger,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
  return {
    store,
    line,
    sender: new ReplySender({ client: () => line }, store, clock, silentLogger),
  };
}

/** Stores one event and routes it to plugins a and b, as the webhook and dispatcher would. */
async function storedEvent(process: ReturnType<typeof boot>): Promise<ReplyTarget> {
  const eventId = `01J${crypto.randomUUID().replaceAll("-", "").slice(0, 23).toUpperCase()}`;
  const replyToken = standIn.issueReplyToken();
  const raw = {
    type: "message",
    webhookEventId: eventId,
    timestamp: clock.now(),
    replyToken,
    source: { type: "user", userId: USER },
  };
  const parsed = parseEvent(raw, clock.now());
  const [stored] = await process.store.ingest(
    [{ parsed, body: JSON.stringify(raw), destination: undefined }],
    () => ["a", "b"],
  );
  expect(stored?.parsed.id).toBe(eventId);
  return {
    channel: "default",
    eventId,
    replyToken,
    standby: false,
    receivedAt: clock.now(),
    chat: { type: "user", id: USER },
    fresh: true,
  };
}

function contributions(): Contribution[] {
  return [
    { plugin: "a", messages: [text("from a")] },
    { plugin: "b", messages: [text("from b")] },
  ];
}

const sentTexts = () => ({
  replied: standIn.replies.flatMap((r) => r.messages.map((m) => m.text)),
  pushed: standIn.pushes.flatMap((p) => p.messages.map((m) => m.text)),
});

beforeEach(() => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  standIn = new LineStandIn({ channelAccessToken: TOKEN, now: () => clock.now() });
  intercept = undefined;
  dataDir = mkdtempSync(join(tmpdir(), "hotline-exactly-once-"));
  stores = [];
});
afterEach(async () => {
  for (const store of stores) await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a reply attempted before a crash", () => {
  test("is counted as delivered when the retry finds the token used; a plugin never attempted is pushed", async () => {
    // Process 1 records the attempt for plugin a, the reply reaches LINE, then the process dies.
    const first = boot();
    const target = await storedEvent(first);
    await first.store.markReplyAttempted(target.eventId, ["a"], clock.now());
    expect((await first.line.reply(target.replyToken ?? "", [text("from a")])).ok).toBe(true);

    // Process 2 finds the attempt on record and flushes a's and b's replies.
    clock.advance(5_000);
    const second = boot();
    expect((await second.store.replyAttempts(target.eventId)).attemptedAt).not.toBeNull();
    const result = await second.sender.flush({ ...target, fresh: false }, contributions());

    expect(result).toEqual(
      new Map([
        ["a", undefined],
        ["b", undefined],
      ]),
    );
    const replies = standIn.requests.filter(isReply);
    expect(replies.map((r) => r.status)).toEqual([200, 400]);
    // Only the messages that were in the lost attempt are tried as a reply again.
    expect(replies[1]?.body).toMatchObject({ messages: [text("from a")] });
    expect(sentTexts()).toEqual({ replied: ["from a"], pushed: ["from b"] });
    expect(standIn.pushes[0]?.to).toBe(USER);
    expect(standIn.pushes[0]?.retryKey).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("the attempt is on record before the reply call reaches LINE", async () => {
    const process = boot();
    const target = await storedEvent(process);
    let seen: { attemptedAt: number | null; plugins: string[] } | undefined;
    intercept = async (request) => {
      if (new URL(request.url).pathname === "/v2/bot/message/reply") {
        // Read through another connection: what is on disk, not what this one has cached.
        const reader = SqliteStore.open(dataDir, clock);
        const attempts = await reader.replyAttempts(target.eventId);
        await reader.close();
        seen = { attemptedAt: attempts.attemptedAt, plugins: [...attempts.plugins].sort() };
      }
      return standIn.fetch(request);
    };
    await process.sender.flush(target, contributions());
    expect(seen).toEqual({ attemptedAt: clock.now(), plugins: ["a", "b"] });
    expect(sentTexts()).toEqual({ replied: ["from a", "from b"], pushed: [] });
  });
});

describe("a reply whose answer was lost", () => {
  /** LINE acts on the first reply call, but the answer never arrives: a 500 comes back instead. */
  function loseFirstReplyAnswer(): void {
    let lost = false;
    intercept = async (request) => {
      const response = await standIn.fetch(request);
      if (lost || new URL(request.url).pathname !== "/v2/bot/message/reply") return response;
      lost = true;
      return Response.json({ message: "An error occurred in the backend" }, { status: 500 });
    };
  }

  test("its retry, rejected as an invalid token, counts as sent: no push duplicates it", async () => {
    const process = boot();
    const target = await storedEvent(process);
    loseFirstReplyAnswer();
    const result = await process.sender.flush(target, contributions());

    expect(standIn.requests.filter(isReply).map((r) => r.status)).toEqual([200, 400]);
    expect(sentTexts()).toEqual({ replied: ["from a", "from b"], pushed: [] });
    expect([...result.values()]).toEqual([undefined, undefined]);
  });

  test("a reply that keeps failing with 5xx is not pushed: the delivery fails and the retry replies again", async () => {
    const process = boot();
    const target = await storedEvent(process);
    // Every try answers 500; LINE may or may not have acted on any of them.
    standIn.fault({ path: "/v2/bot/message/reply", status: 500, times: 3 });
    const result = await process.sender.flush(target, contributions());
    expect(standIn.requests.filter(isPush)).toEqual([]);
    expect(result.get("a")?.error).toContain("500");
    expect(result.get("b")?.error).toContain("500");
    expect([...(await process.store.replyAttempts(target.eventId)).plugins].sort()).toEqual([
      "a",
      "b",
    ]);

    // The delivery's retry: the attempt is on record, so the same plugins try the reply again.
    const retried = await process.sender.flush({ ...target, fresh: false }, contributions());
    expect([...retried.values()]).toEqual([undefined, undefined]);
    expect(sentTexts()).toEqual({ replied: ["from a", "from b"], pushed: [] });
  });
});

describe("when the token cannot be used", () => {
  test("a definite rejection of a fresh token falls back to push and clears the attempt", async () => {
    const process = boot();
    const target = await storedEvent(process);
    const result = await process.sender.flush(
      { ...target, replyToken: "0123456789abcdef0123456789abcdef" },
      contributions(),
    );
    expect(standIn.requests.filter(isReply).map((r) => r.status)).toEqual([400]);
    expect(sentTexts()).toEqual({ replied: [], pushed: ["from a", "from b"] });
    expect([...result.values()]).toEqual([undefined, undefined]);
    expect((await process.store.replyAttempts(target.eventId)).plugins.size).toBe(0);
  });

  test("a token known to be expired is not tried: the messages are pushed", async () => {
    const process = boot();
    const target = await storedEvent(process);
    clock.advance(REPLY_TOKEN_TTL_MS + 1);
    await process.sender.flush(target, contributions());
    expect(standIn.requests.filter(isReply)).toEqual([]);
    expect(sentTexts()).toEqual({ replied: [], pushed: ["from a", "from b"] });
    expect((await process.store.replyAttempts(target.eventId)).attemptedAt).toBeNull();
  });

  test("a standby event is never answered, not even by push", async () => {
    const process = boot();
    const target = await storedEvent(process);
    const result = await process.sender.flush({ ...target, standby: true }, contributions());
    expect(standIn.requests).toEqual([]);
    expect([...result.values()]).toEqual([undefined, undefined]);
  });
});
