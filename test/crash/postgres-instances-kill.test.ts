/**
 * "Acked means delivered once" with two instances of one bot: two real `bun src/main.ts`
 * processes share one PostgreSQL schema, webhooks alternate between them, and one is SIGKILLed at
 * the worst moments. The other takes its deliveries over, everything reaches the LINE stand-in
 * exactly once and in lane order, and the killed one, started again, rejoins without resending.
 *
 * No sleep stands in for a signal: a handler is held by the test's control server (the plugin
 * calls it before answering), a reply call by the test's front to the stand-in (one per instance,
 * so the test knows who sent what), and the test moves on when they report, on the bots' log
 * lines, or on a bounded poll of the store.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { envelope, event, user } from "../../src/dev/events/mod.ts";
import { LineStandIn } from "../../src/dev/line-stand-in/mod.ts";
import { createPluginsDir } from "../../src/dev/testing/plugins-dir.ts";
import { openSql, postgresTarget, type Sql } from "../../src/storage/postgres/connection.ts";
import { freshSchema, TEST_DATABASE_URL } from "../helpers/postgres.ts";
import { BotProcess, type LogLine } from "./bot-process.ts";

const RELAY = fileURLToPath(new URL("./fixtures/relay.ts", import.meta.url));
const REPLY_PATH = "/v2/bot/message/reply";
const PUSH_PATH = "/v2/bot/message/push";
/** relay-a answers each event with a reply, relay-b with a push. */
const PLUGINS = { "relay-a": "reply", "relay-b": "push" } as const;
type Plugin = keyof typeof PLUGINS;
const PLUGIN_NAMES = Object.keys(PLUGINS) as Plugin[];
type Tag = "A" | "B";
const CHATS = 4;
/** The promise the design makes: a dead instance's deliveries are taken over within seconds. */
const TAKEOVER_MS = 5000;
// Set per test: bun test's default is 5 s.
const TEST_TIMEOUT_MS = 45_000;

type TextEvent = ReturnType<typeof event.text> & { replyToken: string };

/** One event as the test keeps it: where it belongs, and what each plugin must answer. */
interface Sent {
  id: string;
  chat: number;
  timestamp: number;
  text: string;
  replyToken: string;
  raw: TextEvent;
}

/** A run of a handler, as the plugin reported it to the control server. */
interface Run {
  tag: Tag;
  plugin: Plugin;
  eventId: string;
  attempt: number;
  text: string;
}

interface DeliveryRow {
  eventId: string;
  plugin: string;
  status: string;
  attempts: number;
  replyAttempted: boolean;
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

function userId(chat: number): string {
  return `U${String(chat).padStart(32, "0")}`;
}

let lastTimestamp = 0;
/**
 * `rounds` events per chat, round by round, with timestamps that grow by round (and across
 * calls): per chat, timestamp order is the order they are posted in.
 */
function rounds(label: string, count: number): Sent[][] {
  const base = Math.max(Date.now(), lastTimestamp + 1000);
  lastTimestamp = base + count * CHATS;
  return Array.from({ length: count }, (_, round) =>
    Array.from({ length: CHATS }, (_, chat) => {
      const timestamp = base + round * CHATS + chat;
      const text = `${label} c${chat} m${round}`;
      const raw = event.text(text, { chat: user(userId(chat)), timestamp }) as TextEvent;
      return { id: raw.webhookEventId, chat, timestamp, text, replyToken: raw.replyToken, raw };
    }),
  );
}

/**
 * The test's control server: every handler run reports to it first (`POST /run`) and goes on
 * when it answers. A hold leaves one run unanswered: that handler blocks until its instance dies.
 */
class Control {
  readonly runs: Run[] = [];
  readonly url: string;
  readonly #server: ReturnType<typeof Bun.serve>;
  readonly #holds: Array<{ plugin: Plugin; text: string; arrived(run: Run): void }> = [];
  readonly #release: Array<() => void> = [];

  constructor() {
    this.#server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (r) => this.#handle(r) });
    this.url = `http://127.0.0.1:${this.#server.port}`;
  }

  /** Holds the first run of `plugin` for the event with this text; resolves when it arrives. */
  hold(plugin: Plugin, text: string): Promise<Run> {
    return new Promise((arrived) => this.#holds.push({ plugin, text, arrived }));
  }

  runsOf(eventId: string, plugin: Plugin): Run[] {
    return this.runs.filter((run) => run.eventId === eventId && run.plugin === plugin);
  }

  async stop(): Promise<void> {
    for (const release of this.#release.splice(0)) release();
    await this.#server.stop(true);
  }

  async #handle(request: Request): Promise<Response> {
    const run = (await request.json()) as Run;
    this.runs.push(run);
    const index = this.#holds.findIndex((h) => h.plugin === run.plugin && h.text === run.text);
    if (index < 0) return Response.json({ go: true });
    const [hold] = this.#holds.splice(index, 1);
    hold?.arrived(run);
    await new Promise<void>((release) => this.#release.push(release));
    return new Response("released at the end of the test", { status: 503 });
  }
}

/** How a held reply call ends: never reaching LINE, or reaching it with its answer lost. */
type ReplyHold = "never reaches LINE" | "answer lost";

/**
 * What stands between each instance and the LINE stand-in: one loopback server per instance
 * (its LINE_API_BASE_URL), passing calls through, except reply calls the test holds.
 */
class LineFront {
  readonly urls = new Map<Tag, string>();
  readonly #standIn: LineStandIn;
  readonly #servers: Array<ReturnType<typeof Bun.serve>> = [];
  readonly #holds = new Map<string, { mode: ReplyHold; arrived(tag: Tag): void }>();
  readonly #release: Array<() => void> = [];

  constructor(standIn: LineStandIn) {
    this.#standIn = standIn;
    for (const tag of ["A", "B"] as const) {
      const server = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch: (request) => this.#handle(tag, request),
      });
      this.#servers.push(server);
      this.urls.set(tag, `http://127.0.0.1:${server.port}`);
    }
  }

  /** Holds the first reply call with this token; resolves with the instance that made it. */
  holdReply(replyToken: string, mode: ReplyHold): Promise<Tag> {
    return new Promise((arrived) => this.#holds.set(replyToken, { mode, arrived }));
  }

  async stop(): Promise<void> {
    for (const release of this.#release.splice(0)) release();
    for (const server of this.#servers) await server.stop(true);
  }

  async #handle(tag: Tag, request: Request): Promise<Response> {
    if (request.method !== "POST" || new URL(request.url).pathname !== REPLY_PATH)
      return this.#standIn.fetch(request);
    const { replyToken } = (await request.clone().json()) as { replyToken: string };
    const hold = this.#holds.get(replyToken);
    if (!hold) return this.#standIn.fetch(request);
    this.#holds.delete(replyToken);
    // "answer lost": LINE takes the reply, but its answer never makes it back.
    const answer = hold.mode === "answer lost" ? await this.#standIn.fetch(request) : undefined;
    hold.arrived(tag);
    await new Promise<void>((release) => this.#release.push(release));
    return answer ?? new Response(null, { status: 503 });
  }
}

/** Two instances' surroundings: one schema, one stand-in, a config file and data dir each. */
interface Cluster {
  standIn: LineStandIn;
  control: Control;
  front: LineFront;
  sql: Sql;
  start(tag: Tag): Promise<BotProcess>;
  /** Issues the events' reply tokens at the stand-in, as LINE does, and posts them to `bot`. */
  send(bot: BotProcess, events: Sent[]): Promise<number>;
}

async function cluster(): Promise<Cluster> {
  const schema = freshSchema();
  cleanups.push(() => schema.drop());
  const channelSecret = randomBytes(16).toString("hex");
  const channelAccessToken = `kill-token-${randomBytes(4).toString("hex")}`;
  // Real time: reply tokens must stay valid across the kill and the takeover, as on LINE.
  const standIn = new LineStandIn({ channelAccessToken });
  const front = new LineFront(standIn);
  cleanups.push(() => front.stop());
  const control = new Control();
  cleanups.push(() => control.stop());
  const sql = openSql(postgresTarget(schema.url), { max: 2 });
  cleanups.push(() => sql.end({ timeout: 1 }));
  // Without a server the bots would keep trying until their start timed out: fail here at once.
  await sql`select 1`;

  const scratch = createPluginsDir();
  cleanups.push(scratch.remove);
  for (const name of PLUGIN_NAMES) copyFileSync(RELAY, join(scratch.dir, `${name}.ts`));
  const homes = new Map<Tag, { dataDir: string; configFile: string }>();
  for (const tag of ["A", "B"] as const) {
    const dataDir = mkdtempSync(join(tmpdir(), `hotline-kill-${tag}-`));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const configFile = join(dataDir, "hotline.config.json");
    const plugins = Object.fromEntries(
      PLUGIN_NAMES.map((name) => [name, { tag, control: control.url, answer: PLUGINS[name] }]),
    );
    writeFileSync(configFile, JSON.stringify({ plugins }));
    homes.set(tag, { dataDir, configFile });
  }

  return {
    standIn,
    control,
    front,
    sql,
    async start(tag) {
      const home = homes.get(tag) as { dataDir: string; configFile: string };
      const bot = await BotProcess.start({
        channelSecret,
        channelAccessToken,
        lineUrl: front.urls.get(tag) as string,
        pluginsDir: scratch.dir,
        ...home,
        env: { DATABASE_URL: schema.url },
        until: "ready",
        timeoutMs: 20_000,
      });
      cleanups.push(() => bot.kill());
      return bot;
    },
    async send(bot, events) {
      for (const item of events) standIn.issueReplyToken(item.replyToken);
      const response = await bot.post(JSON.stringify(envelope(events.map((item) => item.raw))));
      return response.status;
    },
  };
}

/** The id the instance joined under: the one others name when they take its work over. */
async function instanceId(bot: BotProcess): Promise<string> {
  const joined = await bot.waitForLog(
    (line) => line.msg === "joined the instances sharing the database",
  );
  return String(joined.instance);
}

/** Posts each round's events one per request, alternating between the bots; every one acked. */
async function alternate(c: Cluster, bots: BotProcess[], events: Sent[][]): Promise<void> {
  let turn = 0;
  for (const round of events) {
    // A chat's events in order (the next round waits for this one's acks), chats side by side.
    const statuses = await Promise.all(
      round.map((item) => c.send(bots[turn++ % bots.length] as BotProcess, [item])),
    );
    expect(statuses).toEqual(round.map(() => 200));
  }
}

/** What LINE accepted, in the order it accepted it: one entry per message. */
interface Output {
  via: "reply" | "push";
  /** The reply token, or the push's retry key. */
  key: string | null;
  to: string | undefined;
  text: string;
}

function accepted(standIn: LineStandIn): Output[] {
  return standIn.requests.flatMap((request): Output[] => {
    if (request.status !== 200) return [];
    const body = request.body as {
      replyToken?: string;
      to?: string;
      messages?: Array<{ text?: string }>;
    };
    const via = request.path === REPLY_PATH ? "reply" : request.path === PUSH_PATH ? "push" : null;
    if (via === null) return [];
    return (body.messages ?? []).map((message) => ({
      via,
      key: via === "reply" ? (body.replyToken ?? null) : request.retryKey,
      to: body.to,
      text: String(message.text),
    }));
  });
}

const answerOf = (plugin: Plugin, item: Sent) => `${plugin}: ${item.text}`;

/** Resolves once every plugin's answer to every event has reached the stand-in. */
async function allAnswered(c: Cluster, events: Sent[]): Promise<void> {
  const wanted = events.flatMap((item) => PLUGIN_NAMES.map((plugin) => answerOf(plugin, item)));
  await c.standIn.waitFor(
    (standIn) => {
      const texts = new Set(accepted(standIn).map((output) => output.text));
      return wanted.every((text) => texts.has(text));
    },
    { timeoutMs: 20_000 },
  );
}

async function deliveryRows(sql: Sql): Promise<DeliveryRow[]> {
  return sql<DeliveryRow[]>`
    select event_id as "eventId", plugin, status, attempts, reply_attempted as "replyAttempted"
    from deliveries order by event_id, plugin`;
}

/** Polls the store (read only) until every delivery of these events is settled. */
async function allSettled(c: Cluster, events: Sent[], timeoutMs = 10_000): Promise<DeliveryRow[]> {
  const ids = new Set(events.map((item) => item.id));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const rows = (await deliveryRows(c.sql)).filter((row) => ids.has(row.eventId));
    const open = rows.filter((row) => row.status !== "done");
    if (rows.length === ids.size * PLUGIN_NAMES.length && open.length === 0) return rows;
    if (performance.now() > deadline)
      throw new Error(`deliveries still open after ${timeoutMs} ms: ${JSON.stringify(open)}`);
    await Bun.sleep(25);
  }
}

/**
 * The exactly-once and lane-order checks, over everything LINE accepted: each (event, plugin)
 * answered once (relay-a by a reply on the event's token, relay-b by a push to its chat), no
 * token or retry key accepted twice, and per chat each plugin's answers in timestamp order.
 */
function expectOnceInOrder(standIn: LineStandIn, events: Sent[]): void {
  const outputs = accepted(standIn);
  const byText = new Map<string, { item: Sent; plugin: Plugin }>();
  for (const item of events)
    for (const plugin of PLUGIN_NAMES) byText.set(answerOf(plugin, item), { item, plugin });
  // Nothing LINE accepted is unaccounted for, and nothing is there twice.
  expect(outputs.filter((output) => !byText.has(output.text))).toEqual([]);
  expect(outputs).toHaveLength(byText.size);
  for (const output of outputs) {
    const { item, plugin } = byText.get(output.text) as { item: Sent; plugin: Plugin };
    if (PLUGINS[plugin] === "reply")
      expect([output.via, output.key]).toEqual(["reply", item.replyToken]);
    else expect([output.via, output.to]).toEqual(["push", userId(item.chat)]);
  }
  const tokens = standIn.replies.map((reply) => reply.replyToken);
  expect(new Set(tokens).size).toBe(tokens.length);
  const keys = standIn.pushes.map((push) => push.retryKey);
  expect(keys.every((key) => typeof key === "string" && key.length > 0)).toBe(true);
  expect(new Set(keys).size).toBe(keys.length);
  // The calls LINE refused were second tries of what it had accepted: a push again under its
  // retry key (409), a reply again on its used token (400). Nothing else was refused.
  for (const request of standIn.requests) {
    if (request.path === PUSH_PATH && request.status !== 200)
      expect([request.status, keys.includes(request.retryKey ?? "")]).toEqual([409, true]);
    if (request.path === REPLY_PATH && request.status !== 200) {
      const token = (request.body as { replyToken?: string }).replyToken ?? "";
      expect([request.status, tokens.includes(token)]).toEqual([400, true]);
    }
  }

  for (let chat = 0; chat < CHATS; chat++) {
    for (const plugin of PLUGIN_NAMES) {
      const seen = outputs
        .map((output) => byText.get(output.text))
        .filter((found) => found?.plugin === plugin && found.item.chat === chat)
        .map((found) => found?.item.timestamp as number);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
  }
}

/** The survivor's takeover of the dead instance's deliveries, within TAKEOVER_MS of the kill. */
async function takeover(survivor: BotProcess, deadId: string, killedAt: number): Promise<LogLine> {
  const line = await survivor.waitForLog(
    (entry) =>
      entry.msg === "took over interrupted deliveries and schedule runs" &&
      String(entry.reason).includes(`instance ${deadId} stopped`),
    TAKEOVER_MS,
  );
  expect(performance.now() - killedAt).toBeLessThan(TAKEOVER_MS);
  return line;
}

/**
 * The killed instance is started again on the same database: it is ready, nothing of before is
 * sent again, it takes new work (the survivor is frozen meanwhile, so only it can), and then
 * both share the work as before; both stop cleanly and leave the instances table.
 */
async function rejoin(
  c: Cluster,
  victim: Tag,
  survivor: BotProcess,
  earlier: Sent[],
  ids: { dead: string; survivor: string },
): Promise<void> {
  const sentBefore = c.standIn.requests.length;
  const restarted = await c.start(victim);
  const restartedId = await instanceId(restarted);
  expect(restartedId).not.toBe(ids.dead);
  expect((await fetch(`${restarted.url}/readyz`)).status).toBe(200);
  // The dead one's row went with the takeover: the two living instances are the members.
  const members = await c.sql<Array<{ id: string }>>`select id from instances order by id`;
  expect(members.map((row) => row.id)).toEqual([ids.survivor, restartedId].sort());

  // Frozen once idle (nothing open, so it holds no claim and no lock a claim needs).
  await allSettled(c, earlier);
  survivor.pause();
  const [solo = []] = rounds("rejoin", 1);
  expect(await c.send(restarted, solo)).toBe(200);
  await allAnswered(c, solo);
  await allSettled(c, solo);
  for (const item of solo)
    for (const plugin of PLUGIN_NAMES)
      expect(c.control.runsOf(item.id, plugin).map((run) => run.tag)).toEqual([victim]);
  survivor.resume();

  const together = rounds("together", 2);
  await alternate(c, [restarted, survivor], together);
  const all = [...earlier, ...solo, ...together.flat()];
  await allAnswered(c, all);
  const rows = await allSettled(c, all);
  expectOnceInOrder(c.standIn, all);
  // Nothing of before was sent again after the restart.
  const before = new Set(earlier.flatMap((item) => [item.replyToken, item.text]));
  const later = c.standIn.requests.slice(sentBefore).flatMap((request) => {
    const body = request.body as { replyToken?: string; messages?: Array<{ text?: string }> };
    return [body?.replyToken, ...(body?.messages ?? []).map((m) => m.text?.split(": ")[1])];
  });
  expect(later.filter((value) => value !== undefined && before.has(value))).toEqual([]);
  // New work ran once each: one attempt, one handler run.
  const fresh = new Set([...solo, ...together.flat()].map((item) => item.id));
  for (const row of rows.filter((r) => fresh.has(r.eventId))) {
    expect(row.attempts).toBe(1);
    expect(c.control.runsOf(row.eventId, row.plugin as Plugin)).toHaveLength(1);
  }

  await Promise.all([restarted.stop(), survivor.stop()]);
  expect(await c.sql`select id from instances`).toHaveLength(0);
  expect(
    await c.sql`select id from inbox_events where status <> 'done' or reply_attempted_at is null`,
  ).toHaveLength(0);
}

describe.skipIf(!TEST_DATABASE_URL)("PostgreSQL: SIGKILL of one of two bot processes", () => {
  test(
    "killed mid-handler: the other instance takes over and finishes, once each, lanes in order",
    async () => {
      const c = await cluster();
      const bots = await Promise.all([c.start("A"), c.start("B")]);
      const byTag = new Map<Tag, BotProcess>([
        ["A", bots[0]],
        ["B", bots[1]],
      ]);
      const ids = new Map<Tag, string>();
      for (const [tag, bot] of byTag) ids.set(tag, await instanceId(bot));

      const events = rounds("mid-handler", 5);
      const all = events.flat();
      // relay-a's handler for chat 0's second event blocks, holding that lane behind it.
      const stuck = events[1]?.[0] as Sent;
      const held = c.control.hold("relay-a", stuck.text);
      await alternate(c, bots, events);
      // One webhook body at both instances at once: both ack it, it is stored once.
      const twice = rounds("twice", 1)[0]?.slice(0, 1) as Sent[];
      const body = JSON.stringify(envelope(twice.map((item) => item.raw)));
      c.standIn.issueReplyToken((twice[0] as Sent).replyToken);
      const statuses = await Promise.all(bots.map((bot) => bot.post(body)));
      expect(statuses.map((response) => response.status)).toEqual([200, 200]);
      all.push(...twice);
      const stored = await c.sql`select id from inbox_events`;
      expect(stored).toHaveLength(all.length);

      const run = await held;
      const victim = run.tag;
      const survivorTag: Tag = victim === "A" ? "B" : "A";
      const doomed = byTag.get(victim) as BotProcess;
      const survivor = byTag.get(survivorTag) as BotProcess;
      const deadId = ids.get(victim) as string;
      // The lane is held by the dead-to-be instance's claim, in the store.
      const [running] = await c.sql<Array<{ owner: string; status: string }>>`
        select owner, status from deliveries where event_id = ${stuck.id} and plugin = 'relay-a'`;
      expect(running).toEqual({ owner: deadId, status: "running" });

      const killedAt = performance.now();
      await doomed.kill();
      await takeover(survivor, deadId, killedAt);
      await allAnswered(c, all);
      const rows = await allSettled(c, all);
      expectOnceInOrder(c.standIn, all);

      // The interrupted run is counted: a second attempt, by the survivor.
      expect(c.control.runsOf(stuck.id, "relay-a").map((r) => [r.tag, r.attempt])).toEqual([
        [victim, 1],
        [survivorTag, 2],
      ]);
      const stuckRow = rows.find((row) => row.eventId === stuck.id && row.plugin === "relay-a");
      expect(stuckRow?.attempts).toBe(2);
      // Others the kill interrupted ran again too; none ran more often than its attempts say.
      for (const row of rows) {
        const runs = c.control.runsOf(row.eventId, row.plugin as Plugin).length;
        expect(runs).toBeGreaterThanOrEqual(1);
        expect(runs).toBeLessThanOrEqual(row.attempts);
        expect(row.attempts).toBeLessThanOrEqual(2);
      }

      await rejoin(c, victim, survivor, all, {
        dead: deadId,
        survivor: ids.get(survivorTag) as string,
      });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "killed between the durable reply mark and LINE: the other instance replies, once",
    async () => {
      const c = await cluster();
      // A alone at first, so the replies held below are certainly A's.
      const first = await c.start("A");
      const firstId = await instanceId(first);
      const events = rounds("reply-mark", 4);
      const all = events.flat();
      const [lost, answered] = events[0] as [Sent, Sent];
      const lostHeld = c.front.holdReply(lost.replyToken, "never reaches LINE");
      const answeredHeld = c.front.holdReply(answered.replyToken, "answer lost");
      await alternate(c, [first], events.slice(0, 1));
      expect(await Promise.all([lostHeld, answeredHeld])).toEqual(["A", "A"]);

      // In the window: the token is claimed on record, the delivery still running on A.
      for (const item of [lost, answered]) {
        const [mark] = await c.sql<Array<{ at: number | null }>>`
          select reply_attempted_at as at from inbox_events where id = ${item.id}`;
        expect(mark?.at).not.toBeNull();
        const rows = (await deliveryRows(c.sql)).filter((row) => row.eventId === item.id);
        expect(rows.find((row) => row.plugin === "relay-a")).toMatchObject({
          status: "running",
          attempts: 0,
          replyAttempted: true,
        });
      }
      const replyCalls = (token: string) =>
        c.standIn.requests
          .filter(
            (r) =>
              r.path === REPLY_PATH && (r.body as { replyToken?: string }).replyToken === token,
          )
          .map((r) => r.status);
      expect(replyCalls(lost.replyToken)).toEqual([]);
      expect(replyCalls(answered.replyToken)).toEqual([200]);

      // B joins while A holds those lanes; the rest alternates between them.
      const second = await c.start("B");
      const secondId = await instanceId(second);
      await alternate(c, [first, second], events.slice(1));

      const killedAt = performance.now();
      await first.kill();
      await takeover(second, firstId, killedAt);
      await allAnswered(c, all);
      const rows = await allSettled(c, all);
      expectOnceInOrder(c.standIn, all);

      // The reply that never reached LINE is sent by B, on the same token; the one LINE took is
      // refused as used when B tries it again, and counted as delivered.
      expect(replyCalls(lost.replyToken)).toEqual([200]);
      expect(replyCalls(answered.replyToken)).toEqual([200, 400]);
      // Said so in B's log, once; other replies A had in flight at the kill may be there too, each
      // with the same story: taken by LINE once, refused once.
      const alreadySent = second
        .logs()
        .filter((line) => /reply already sent/.test(line.msg))
        .map((line) => all.find((item) => item.id === line.webhookEventId) as Sent);
      expect(alreadySent.filter((item) => item === answered)).toHaveLength(1);
      expect(alreadySent).not.toContain(lost);
      for (const item of alreadySent) expect(replyCalls(item.replyToken)).toEqual([200, 400]);
      for (const item of [lost, answered]) {
        expect(c.control.runsOf(item.id, "relay-a").map((r) => [r.tag, r.attempt])).toEqual([
          ["A", 1],
          ["B", 2],
        ]);
        const row = rows.find((r) => r.eventId === item.id && r.plugin === "relay-a");
        expect(row?.attempts).toBe(2);
      }
      for (const row of rows) {
        const runs = c.control.runsOf(row.eventId, row.plugin as Plugin).length;
        expect(runs).toBeGreaterThanOrEqual(1);
        expect(runs).toBeLessThanOrEqual(row.attempts);
      }

      await rejoin(c, "A", second, all, { dead: firstId, survivor: secondId });
    },
    TEST_TIMEOUT_MS,
  );
});
