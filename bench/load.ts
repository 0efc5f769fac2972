/**
 * The load generator: a separate Bun process that posts signed webhook bodies to a server and
 * prints one JSON result line on stdout. Every body is built and signed before the clock starts
 * (unique webhookEventId, replyToken and message id per event), and requests are written as
 * pre-encoded bytes over keep-alive HTTP/1.1 connections (`Bun.connect`), one request in flight per
 * connection: a fetch-based client is available (`client: "fetch"`) to compare.
 *
 *   bun bench/load.ts '<json LoadConfig>'
 *
 * Modes:
 * - ack:   closed loop, `connections` requests in flight, warm-up then `seconds` measured:
 *          requests/s and ack latency percentiles, plus CPU used by this process and by the server
 *          process (from /proc) and the replies the fake LINE API received during the measured
 *          window (a server that acks faster than it replies is building a backlog).
 * - batch: `events` events in bodies of `perBody`, closed loop, then wait until the fake LINE API
 *          has seen a reply for every event: events/s and webhook → reply latency.
 * - paced: one body of `perBody` events every 1/`rate` s for `seconds` (open loop; latency counts
 *          from the scheduled send time, so a stalled server is not hidden): ack latency and
 *          webhook → reply latency.
 */
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { percentile } from "./stats.ts";

export interface LoadConfig {
  mode: "ack" | "batch" | "paced";
  /** Webhook URL (http://127.0.0.1:port/path). */
  url: string;
  secret: string;
  connections: number;
  /** Measured seconds (ack, paced). */
  seconds?: number;
  /** Unmeasured seconds before the window (ack). */
  warmupSeconds?: number;
  /** Events to send (batch). */
  events?: number;
  /** Events per webhook body. */
  perBody?: number;
  /** Bodies per second (paced). */
  rate?: number;
  /** The fake LINE API to read reply arrivals from (batch, paced) and count replies (ack). */
  fakeLineUrl?: string;
  /** Server pid: its CPU time over the measured window is reported (ack). */
  serverPid?: number;
  client?: "raw" | "fetch";
  /** Give up waiting for replies after this long (batch, paced). */
  replyTimeoutMs?: number;
}

export interface LoadResult {
  mode: LoadConfig["mode"];
  requests: number;
  events: number;
  errors: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  requestsPerSecond: number;
  eventsPerSecond: number;
  ackP50Ms: number;
  ackP99Ms: number;
  /** Webhook POST start → the fake LINE API received the reply (batch, paced). */
  replyP50Ms?: number;
  replyP99Ms?: number;
  replies?: number;
  /** Events without a reply when the wait ended (their latency counts as the time waited). */
  unreplied?: number;
  pushes?: number;
  duplicateReplies?: number;
  /** CPU seconds per wall second over the measured window (1 = one core busy). */
  generatorCpu?: number;
  serverCpu?: number;
  /** Distinct replies the fake LINE API received during the measured window (ack). */
  repliesInWindow?: number;
  /** The pre-built pool ran out before the window ended (the window was cut short). */
  exhausted?: boolean;
  bodyBytes: number;
}

const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- bodies

const BOT_USER_ID = "Ufedcba9876543210fedcba9876543210";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const runTag = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) =>
  b.toString(16).padStart(2, "0"),
).join("");

/** A chat message of realistic length and mix (ASCII and Japanese): the event is about 1 KB. */
const TEXT_JSON = JSON.stringify(
  (
    "Hello! I would like to book a table for four people this Friday evening around seven, " +
    "preferably by the window. こんにちは、金曜日の夜七時ごろに四名で予約をお願いしたいです。窓際の席が空いていれば嬉しいです。 " +
    "Also, do you have vegetarian options on the set menu, and is there parking nearby? Thanks a lot! "
  )
    .repeat(3)
    .slice(0, 560),
);
const TAG_UPPER = runTag.toUpperCase().replace(/[^0-9A-Z]/g, "0");

function base32(n: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = CROCKFORD[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

interface Built {
  /** The whole request: head and body. */
  bytes: Uint8Array;
  /** Where the body starts in `bytes`. */
  bodyStart: number;
  signature: string;
  tokens: string[];
}

/** A fixed-width ASCII field of event number `n`. */
type Field = (n: number) => string;

const hex24 = (n: number) => n.toString(16).padStart(24, "0");

/**
 * One text event in LINE's wire shape (compact JSON, LINE's field order), as constant text and
 * fixed-width fields: a body is rendered once as a template, and each request is that template
 * with its fields overwritten in place (unique ids per event), then signed.
 */
function textEventParts(timestamp: number): Array<string | Field> {
  return [
    `{"type":"message","message":{"type":"text","id":"5`,
    (n) => String(n).padStart(17, "0"),
    `","quoteToken":"q${runTag}`,
    (n) => n.toString(36).padStart(12, "0"),
    `","text":${TEXT_JSON}},"webhookEventId":"01J${TAG_UPPER}`,
    (n) => base32(n, 15),
    `","deliveryContext":{"isRedelivery":false},"timestamp":${timestamp},"source":{"type":"user","userId":"U${runTag}`,
    // Many users, so per-chat ordering (a hotline guarantee) does not serialise the benchmark.
    (n) => hex24(n % 4096),
    `"},"replyToken":"${runTag}`,
    hex24,
    `","mode":"active"}`,
  ];
}

const TOKEN_FIELD = hex24;

let counter = 0;

export function buildRequests(
  count: number,
  perBody: number,
  target: URL,
  secret: string,
): Built[] {
  // The template: head (signature as a placeholder of its fixed length) and body.
  const parts: Array<string | Field> = [`{"destination":"${BOT_USER_ID}","events":[`];
  for (let e = 0; e < perBody; e++) {
    if (e > 0) parts.push(",");
    parts.push(...textEventParts(Date.now()));
  }
  parts.push("]}");
  const fields: Array<{ offset: number; field: Field; event: number }> = [];
  let body = "";
  let bodyLength = 0;
  let event = -1;
  for (const part of parts) {
    if (typeof part === "string") {
      if (part.startsWith(`{"type":"message"`)) event++;
      body += part;
      bodyLength += Buffer.byteLength(part);
    } else {
      const text = part(0);
      fields.push({ offset: bodyLength, field: part, event });
      body += text;
      bodyLength += text.length;
    }
  }
  const headStart =
    `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nUser-Agent: LineBotWebhook/2.0\r\n` +
    "Content-Type: application/json; charset=utf-8\r\nx-line-signature: ";
  const head = `${headStart}${"=".repeat(44)}\r\nContent-Length: ${bodyLength}\r\n\r\n`;
  const template = Buffer.from(head + body, "utf8");
  const size = template.byteLength;
  const bodyStart = head.length;

  // Requests are cut from large slabs: one allocation per request is slow and burdens the GC.
  const perSlab = Math.max(1, Math.floor((16 << 20) / size));
  let slab = Buffer.allocUnsafeSlow(0);
  const out: Built[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (i % perSlab === 0) slab = Buffer.allocUnsafeSlow(Math.min(perSlab, count - i) * size);
    const at = (i % perSlab) * size;
    const bytes = slab.subarray(at, at + size);
    template.copy(bytes);
    const first = counter;
    counter += perBody;
    const tokens: string[] = [];
    for (const { offset, field, event } of fields) {
      const n = first + event;
      const value = field(n);
      bytes.write(value, bodyStart + offset, "latin1");
      if (field === TOKEN_FIELD) tokens.push(runTag + value);
    }
    const signature = createHmac("sha256", secret)
      .update(bytes.subarray(bodyStart))
      .digest("base64");
    bytes.write(signature, headStart.length, "latin1");
    out[i] = { bytes, bodyStart, signature, tokens };
  }
  return out;
}

// ---------------------------------------------------------------- raw HTTP/1.1 client

type Done = (status: number) => void;

const HEADER_END = Buffer.from("\r\n\r\n");
const CHUNKED_END = Buffer.from("0\r\n\r\n");

/** One keep-alive connection, one request in flight; parses just enough of the response. */
class Connection {
  #socket: Bun.Socket<undefined> | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #done: Done | undefined;
  #unsent: Uint8Array | undefined;
  #opening: Promise<void> | undefined;

  constructor(
    readonly hostname: string,
    readonly port: number,
  ) {}

  get busy(): boolean {
    return this.#done !== undefined;
  }

  #open(): Promise<void> {
    this.#opening ??= Bun.connect({
      hostname: this.hostname,
      port: this.port,
      socket: {
        data: (_socket, data) => this.#onData(data),
        drain: (socket) => this.#flush(socket),
        close: () => this.#onClose(),
        error: () => this.#onClose(),
      },
    }).then((socket) => {
      socket.setNoDelay(true);
      this.#socket = socket;
    });
    return this.#opening;
  }

  /** Sends one request; `done` gets the status (0 for a connection error). */
  send(bytes: Uint8Array, done: Done): void {
    this.#done = done;
    if (!this.#socket) {
      this.#open().then(
        () => this.send(bytes, done),
        () => this.#finish(0),
      );
      return;
    }
    this.#unsent = bytes;
    this.#flush(this.#socket);
  }

  #flush(socket: Bun.Socket<undefined>): void {
    const bytes = this.#unsent;
    if (!bytes) return;
    const written = socket.write(bytes);
    this.#unsent = written < bytes.byteLength ? bytes.subarray(Math.max(0, written)) : undefined;
  }

  #finish(status: number): void {
    const done = this.#done;
    this.#done = undefined;
    done?.(status);
  }

  #onData(data: Buffer): void {
    this.#buffer = this.#buffer.byteLength === 0 ? data : Buffer.concat([this.#buffer, data]);
    for (;;) {
      const buffer = this.#buffer;
      const headerEnd = buffer.indexOf(HEADER_END);
      if (headerEnd < 0) return;
      const head = buffer.toString("latin1", 0, headerEnd).toLowerCase();
      const status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
      let end: number;
      if (length) {
        end = headerEnd + 4 + Number(length[1]);
        if (buffer.byteLength < end) return;
      } else if (head.includes("transfer-encoding: chunked")) {
        const last = buffer.indexOf(CHUNKED_END, headerEnd + 4);
        if (last < 0) return;
        end = last + CHUNKED_END.byteLength;
      } else {
        end = headerEnd + 4;
      }
      this.#buffer = end === buffer.byteLength ? Buffer.alloc(0) : buffer.subarray(end);
      this.#finish(status);
    }
  }

  #onClose(): void {
    this.#socket = undefined;
    this.#opening = undefined;
    this.#buffer = Buffer.alloc(0);
    this.#unsent = undefined;
    this.#finish(0);
  }

  close(): void {
    this.#socket?.end();
  }
}

// ---------------------------------------------------------------- a pool of senders

interface Sender {
  send(request: Built, done: Done): void;
  close(): void;
}

function rawSender(target: URL): Sender {
  const connection = new Connection(target.hostname, Number(target.port));
  return {
    send: (request, done) => connection.send(request.bytes, done),
    close: () => connection.close(),
  };
}

function fetchSender(target: URL): Sender {
  return {
    send(request, done) {
      fetch(target, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "x-line-signature": request.signature,
          "user-agent": "LineBotWebhook/2.0",
        },
        body: request.bytes.subarray(request.bodyStart) as Uint8Array<ArrayBuffer>,
        keepalive: true,
      }).then(
        async (response) => {
          await response.arrayBuffer();
          done(response.status);
        },
        () => done(0),
      );
    },
    close() {},
  };
}

// ---------------------------------------------------------------- CPU accounting

const CLOCK_TICKS = 100;

/** utime + stime of a process (all its threads), in seconds. */
function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

function ownCpu(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

// ---------------------------------------------------------------- modes

interface Tally {
  statuses: Record<string, number>;
  errors: number;
  latencies: number[];
}

function tally(): Tally {
  return { statuses: {}, errors: 0, latencies: [] };
}

function count(t: Tally, status: number, latency: number, measured: boolean): void {
  if (!measured) return;
  t.statuses[status] = (t.statuses[status] ?? 0) + 1;
  if (status !== 200) t.errors++;
  t.latencies.push(latency);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ack(config: LoadConfig, target: URL, makeSender: () => Sender): Promise<LoadResult> {
  const seconds = config.seconds ?? 10;
  const warmup = config.warmupSeconds ?? 2;
  const perBody = config.perBody ?? 1;
  const senders = Array.from({ length: config.connections }, makeSender);

  // Warm-up on its own pool; its rate sizes the measured pool (kept in memory, so not oversized).
  let pool = buildRequests(Math.ceil(warmup * 50_000), perBody, target, config.secret);
  let next = 0;
  let running = true;
  const run = (until: number, onDone: (status: number, latency: number) => void) =>
    new Promise<void>((resolve) => {
      let active = senders.length;
      for (const sender of senders) {
        const loop = () => {
          if (!running || performance.now() >= until || next >= pool.length) {
            if (--active === 0) resolve();
            return;
          }
          const request = pool[next++] as Built;
          const started = performance.now();
          sender.send(request, (status) => {
            onDone(status, performance.now() - started);
            loop();
          });
        };
        loop();
      }
    });

  let warmed = 0;
  const warmStart = performance.now();
  await run(warmStart + warmup * 1000, () => {
    warmed++;
  });
  const warmRate = warmed / ((performance.now() - warmStart) / 1000);
  pool = buildRequests(
    Math.min(2_000_000, Math.ceil(warmRate * (seconds + 0.5) * 1.3) + 2_000),
    perBody,
    target,
    config.secret,
  );
  next = 0;

  // A short unmeasured run after the pause for building the pool, then the window.
  const t = tally();
  const settle = performance.now() + Math.min(500, warmup * 500);
  await run(settle, () => {});
  const replies0 = await repliesSoFar(config.fakeLineUrl);
  const serverCpu0 = config.serverPid ? processCpu(config.serverPid) : Number.NaN;
  const cpu0 = ownCpu();
  const start = performance.now();
  const end = start + seconds * 1000;
  await run(end, (status, latency) => count(t, status, latency, true));
  const elapsed = performance.now() - start;
  const cpu = (ownCpu() - cpu0) / (elapsed / 1000);
  const serverCpu = config.serverPid
    ? (processCpu(config.serverPid) - serverCpu0) / (elapsed / 1000)
    : undefined;
  const replies1 = await repliesSoFar(config.fakeLineUrl);
  running = false;
  for (const sender of senders) sender.close();
  const requests = t.latencies.length;
  return {
    mode: "ack",
    requests,
    events: requests * perBody,
    errors: t.errors,
    statuses: t.statuses,
    elapsedMs: elapsed,
    requestsPerSecond: requests / (elapsed / 1000),
    eventsPerSecond: (requests * perBody) / (elapsed / 1000),
    ackP50Ms: percentile(t.latencies, 50),
    ackP99Ms: percentile(t.latencies, 99),
    generatorCpu: cpu,
    ...(serverCpu !== undefined ? { serverCpu } : {}),
    ...(replies0 !== undefined && replies1 !== undefined
      ? { repliesInWindow: replies1 - replies0 }
      : {}),
    exhausted: next >= pool.length,
    bodyBytes: pool[0] ? pool[0].bytes.byteLength - pool[0].bodyStart : 0,
  };
}

interface FakeStats {
  replies: number;
  distinct: number;
  duplicates: number;
  pushes: number;
}

async function fakeStats(fakeLineUrl: string): Promise<FakeStats> {
  return (await (await fetch(`${fakeLineUrl}/__stats`)).json()) as FakeStats;
}

/** Distinct replies so far; read just before and after a window, the difference is its replies. */
async function repliesSoFar(fakeLineUrl: string | undefined): Promise<number | undefined> {
  return fakeLineUrl ? (await fakeStats(fakeLineUrl)).distinct : undefined;
}

/** Waits until the fake LINE API has a reply (or push) for `expected` events. */
async function waitForReplies(
  fakeLineUrl: string,
  expected: number,
  timeoutMs: number,
): Promise<{ stats: FakeStats; at: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const stats = await fakeStats(fakeLineUrl);
    if (stats.distinct + stats.pushes >= expected || performance.now() > deadline) {
      return { stats, at: now() };
    }
    await sleep(5);
  }
}

/**
 * Webhook → reply latency per event. An event whose reply had not arrived when the wait ended
 * counts with the time waited so far: a lower bound, so a percentile is never flattered by leaving
 * the slowest out (`unreplied` says how many).
 */
async function replyLatencies(
  fakeLineUrl: string,
  sentAt: Map<string, number>,
  waitedUntil: number,
): Promise<{ latencies: number[]; last: number; unreplied: number }> {
  const arrivals = (await (await fetch(`${fakeLineUrl}/__arrivals`)).json()) as Record<
    string,
    number
  >;
  const latencies: number[] = [];
  let last = 0;
  let unreplied = 0;
  for (const [token, sent] of sentAt) {
    const at = arrivals[token];
    if (at === undefined) {
      unreplied++;
      latencies.push(waitedUntil - sent);
      continue;
    }
    latencies.push(at - sent);
    if (at > last) last = at;
  }
  return { latencies, last, unreplied };
}

async function batch(
  config: LoadConfig,
  target: URL,
  makeSender: () => Sender,
): Promise<LoadResult> {
  const perBody = config.perBody ?? 5;
  const total = config.events ?? 20_000;
  const fake = config.fakeLineUrl;
  if (!fake) throw new Error("batch mode needs fakeLineUrl");
  const pool = buildRequests(Math.ceil(total / perBody), perBody, target, config.secret);
  const senders = Array.from({ length: config.connections }, makeSender);
  const sentAt = new Map<string, number>();
  const t = tally();
  let next = 0;
  const first = now();
  await new Promise<void>((resolve) => {
    let active = senders.length;
    for (const sender of senders) {
      const loop = () => {
        if (next >= pool.length) {
          if (--active === 0) resolve();
          return;
        }
        const request = pool[next++] as Built;
        const started = now();
        for (const token of request.tokens) sentAt.set(token, started);
        sender.send(request, (status) => {
          count(t, status, now() - started, true);
          loop();
        });
      };
      loop();
    }
  });
  const ackedAt = now();
  const { stats, at } = await waitForReplies(fake, total, config.replyTimeoutMs ?? 120_000);
  const { latencies, last, unreplied } = await replyLatencies(fake, sentAt, at);
  for (const sender of senders) sender.close();
  const elapsed = Math.max(last, ackedAt) - first;
  return {
    mode: "batch",
    requests: pool.length,
    events: total,
    errors: t.errors,
    statuses: t.statuses,
    elapsedMs: elapsed,
    requestsPerSecond: pool.length / (elapsed / 1000),
    eventsPerSecond: stats.distinct / (elapsed / 1000),
    ackP50Ms: percentile(t.latencies, 50),
    ackP99Ms: percentile(t.latencies, 99),
    ...replyFields(latencies, stats, unreplied, pool),
  };
}

/** What the batch and paced runs report about replies, alike. */
function replyFields(latencies: number[], stats: FakeStats, unreplied: number, pool: Built[]) {
  return {
    replyP50Ms: percentile(latencies, 50),
    replyP99Ms: percentile(latencies, 99),
    replies: stats.distinct,
    unreplied,
    pushes: stats.pushes,
    duplicateReplies: stats.duplicates,
    bodyBytes: pool[0] ? pool[0].bytes.byteLength - pool[0].bodyStart : 0,
  };
}

async function paced(
  config: LoadConfig,
  target: URL,
  makeSender: () => Sender,
): Promise<LoadResult> {
  const perBody = config.perBody ?? 1;
  const rate = config.rate ?? 1000;
  const seconds = config.seconds ?? 10;
  const fake = config.fakeLineUrl;
  if (!fake) throw new Error("paced mode needs fakeLineUrl");
  const total = Math.round(rate * seconds);
  // A few unmeasured bodies first, so connections are open and code paths are warm.
  const warm = buildRequests(Math.max(20, Math.min(200, rate / 5)), perBody, target, config.secret);
  const pool = buildRequests(total, perBody, target, config.secret);
  const idle: Sender[] = Array.from({ length: config.connections }, makeSender);
  const queue: Array<{ request: Built; due: number }> = [];
  const t = tally();
  const sentAt = new Map<string, number>();
  let outstanding = 0;
  let allDone: (() => void) | undefined;

  const dispatch = (measured: boolean) => {
    while (queue.length > 0 && idle.length > 0) {
      const { request, due } = queue.shift() as { request: Built; due: number };
      const sender = idle.pop() as Sender;
      sender.send(request, (status) => {
        count(t, status, now() - due, measured);
        idle.push(sender);
        outstanding--;
        if (queue.length > 0) dispatch(measured);
        else if (outstanding === 0) allDone?.();
      });
    }
  };
  const drain = () =>
    new Promise<void>((resolve) => {
      if (outstanding === 0) resolve();
      else allDone = resolve;
    });

  for (const request of warm) {
    outstanding++;
    queue.push({ request, due: now() });
    dispatch(false);
    await sleep(1000 / rate);
  }
  await drain();
  await sleep(200);
  await fetch(`${fake}/__reset`, { method: "POST" });

  // Open loop: each body is due at start + i/rate; a timer wakes every millisecond and sends
  // whatever is due (a blocked server makes the queue grow, and its wait counts as latency).
  const start = now();
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const current = now();
      while (i < pool.length && start + (i * 1000) / rate <= current) {
        const request = pool[i] as Built;
        const due = start + (i * 1000) / rate;
        for (const token of request.tokens) sentAt.set(token, due);
        outstanding++;
        queue.push({ request, due });
        i++;
      }
      dispatch(true);
      if (i >= pool.length) resolve();
      else setTimeout(tick, Math.max(0, start + (i * 1000) / rate - now()));
    };
    tick();
  });
  await drain();
  const elapsed = now() - start;
  const { stats, at } = await waitForReplies(
    fake,
    total * perBody,
    config.replyTimeoutMs ?? 60_000,
  );
  const { latencies, unreplied } = await replyLatencies(fake, sentAt, at);
  for (const sender of idle) sender.close();
  return {
    mode: "paced",
    requests: t.latencies.length,
    events: t.latencies.length * perBody,
    errors: t.errors,
    statuses: t.statuses,
    elapsedMs: elapsed,
    requestsPerSecond: t.latencies.length / (elapsed / 1000),
    eventsPerSecond: (t.latencies.length * perBody) / (elapsed / 1000),
    ackP50Ms: percentile(t.latencies, 50),
    ackP99Ms: percentile(t.latencies, 99),
    ...replyFields(latencies, stats, unreplied, pool),
  };
}

// ---------------------------------------------------------------- main

if (import.meta.main) {
  const config = JSON.parse(process.argv[2] ?? "{}") as LoadConfig;
  const target = new URL(config.url);
  const makeSender =
    config.client === "fetch" ? () => fetchSender(target) : () => rawSender(target);
  const run = { ack, batch, paced }[config.mode];
  const result = await run(config, target, makeSender);
  console.log(JSON.stringify(result));
  process.exit(0);
}
