/**
 * The ceiling: the best a durable LINE bot could do on this stack, written as plainly as possible,
 * so hotline's figures have a durable target to be read against (the limit server stores nothing,
 * the baseline stores nothing and replies before it acks).
 *
 * Per webhook: verify `x-line-signature` over the raw body (node:crypto HMAC-SHA256, constant-time),
 * store the events in a SQLite inbox (one transaction per request; a UNIQUE webhookEventId drops
 * LINE's redeliveries), wait until that commit is on disk, answer 200. Then one in-process echo
 * handler replies to text messages through the LINE API, a chat's events in order, and marks the
 * rows done. No plugins, no workers, no routing, no retries, no logs: everything hotline adds on
 * top of this is what the comparison measures.
 *
 *   LINE_CHANNEL_SECRET=… LINE_CHANNEL_ACCESS_TOKEN=… LINE_API_BASE_URL=… DATA_DIR=… PORT=0 \
 *     bun bench/baselines/ceiling.ts        prints {"port":…} once it listens
 */
import { Database } from "bun:sqlite";
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { fsync, openSync } from "node:fs";
import { join } from "node:path";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const secret = required("LINE_CHANNEL_SECRET");
const accessToken = required("LINE_CHANNEL_ACCESS_TOKEN");
const replyUrl = `${required("LINE_API_BASE_URL")}/v2/bot/message/reply`;
const database = join(required("DATA_DIR"), "ceiling.sqlite");

interface LineEvent {
  webhookEventId: string;
  type: string;
  replyToken?: string;
  source?: { userId?: string; groupId?: string; roomId?: string };
  message?: { type: string; text?: string };
}

interface Job {
  id: number;
  chat: string;
  replyToken: string | null;
  text: string | null;
}

// ---------------------------------------------------------------- the inbox

const db = new Database(database, { create: true });
db.run("PRAGMA journal_mode = WAL");
// NORMAL: a commit does not fsync by itself; `durable()` fsyncs the WAL off the event loop for all
// the commits made meanwhile, which is hotline's own guarantee (no 200 before the events are on disk).
db.run("PRAGMA synchronous = NORMAL");
db.run(`CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY,
  webhook_event_id TEXT NOT NULL UNIQUE,
  chat TEXT NOT NULL,
  reply_token TEXT,
  text TEXT,
  done INTEGER NOT NULL DEFAULT 0
)`);
const walFd = openSync(`${database}-wal`, "a");

const insert = db.query<never, [string, string, string | null, string | null]>(
  "INSERT OR IGNORE INTO inbox (webhook_event_id, chat, reply_token, text) VALUES (?, ?, ?, ?)",
);
const markDone = db.query<never, [number]>("UPDATE inbox SET done = 1 WHERE id = ?");

const chatOf = (event: LineEvent) =>
  event.source?.groupId ?? event.source?.roomId ?? event.source?.userId ?? "";
const textOf = (event: LineEvent) =>
  event.type === "message" && event.message?.type === "text" ? (event.message.text ?? null) : null;

/** One transaction per request; returns the events not stored before (LINE redelivers). */
const store = db.transaction((events: LineEvent[]): Job[] => {
  const fresh: Job[] = [];
  for (const event of events) {
    const job = { chat: chatOf(event), replyToken: event.replyToken ?? null, text: textOf(event) };
    const { changes, lastInsertRowid } = insert.run(
      event.webhookEventId,
      job.chat,
      job.replyToken,
      job.text,
    );
    if (changes === 1) fresh.push({ id: Number(lastInsertRowid), ...job });
  }
  return fresh;
});

let flushing: Promise<void> | undefined;
let nextFlush: Promise<void> | undefined;

/** Resolves once an fsync of the WAL that started after this call has ended: one for many commits. */
function durable(): Promise<void> {
  if (!flushing) {
    flushing = new Promise<void>((resolve, reject) =>
      fsync(walFd, (error) => (error ? reject(error) : resolve())),
    ).finally(() => {
      flushing = undefined;
    });
    return flushing;
  }
  const again = () => {
    nextFlush = undefined;
    return durable();
  };
  nextFlush ??= flushing.then(again, again);
  return nextFlush;
}

// Done marks need no fsync (a lost one re-sends a reply LINE refuses); one transaction per tick.
let doneIds: number[] = [];
const markAllDone = db.transaction((ids: number[]) => {
  for (const id of ids) markDone.run(id);
});
function markDoneSoon(id: number): void {
  if (doneIds.push(id) > 1) return;
  setImmediate(() => {
    const ids = doneIds;
    doneIds = [];
    markAllDone(ids);
  });
}

// ---------------------------------------------------------------- the echo handler

async function reply(replyToken: string, text: string): Promise<void> {
  const response = await fetch(replyUrl, {
    method: "POST",
    headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({ replyToken, messages: [{ type: "text", text }] }),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`reply answered ${response.status}`);
}

async function handle(job: Job): Promise<void> {
  try {
    if (job.replyToken && job.text !== null) await reply(job.replyToken, job.text);
    markDoneSoon(job.id);
  } catch (error) {
    // The row stays undone, for the next start to pick up; the chat's next event goes on.
    console.error(`event ${job.id}: ${(error as Error).message}`);
  }
}

/** Per chat in order: a chat's next event waits for its previous reply, other chats do not. */
const chains = new Map<string, Promise<void>>();
function enqueue(job: Job): void {
  const current = (chains.get(job.chat) ?? Promise.resolve()).then(() => handle(job));
  chains.set(job.chat, current);
  current.then(() => {
    if (chains.get(job.chat) === current) chains.delete(job.chat);
  });
}

// What the inbox is for: events acked before a stop are handled after the start.
const undone = db.query<Job, []>(
  "SELECT id, chat, reply_token AS replyToken, text FROM inbox WHERE done = 0 ORDER BY id",
);
for (const job of undone.all()) enqueue(job);

// ---------------------------------------------------------------- the webhook

const headers = { "content-type": "application/json" };
const answer = (status: number, body: string) => new Response(body, { status, headers });

function signatureMatches(body: Buffer, signature: string | null): boolean {
  if (!signature) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  const given = Buffer.from(signature, "base64");
  return given.length === expected.length && timingSafeEqual(expected, given);
}

const server = Bun.serve({
  hostname: process.env.HOST ?? "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  async fetch(request) {
    const body = Buffer.from(await request.arrayBuffer());
    if (!signatureMatches(body, request.headers.get("x-line-signature"))) {
      return answer(401, '{"error":"invalid signature"}');
    }
    let events: LineEvent[];
    try {
      events = (JSON.parse(body.toString("utf8")) as { events?: LineEvent[] }).events ?? [];
    } catch {
      return answer(400, '{"error":"invalid JSON"}');
    }
    const fresh = store(events);
    await durable();
    for (const job of fresh) enqueue(job);
    return answer(200, "{}");
  },
});

console.log(JSON.stringify({ port: server.port }));
