/**
 * What every Store driver must do, as one suite: a driver's test file runs it with a function
 * that opens a fresh store (and, for "after a restart", another store on the same data).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/core/clock.ts";
import { parseEvent, type ReceivedEvent } from "../../src/core/parsed-event.ts";
import type { Router, Store } from "../../src/storage/store.ts";
import { describeScheduleContract } from "./schedule-contract.ts";

const HOUR = 3_600_000;
export const T0 = Date.UTC(2026, 0, 1);

export interface StoreFixture {
  /** A store on fresh data. */
  open(clock: ManualClock): Promise<Store>;
  /** Another store on the data of the last one opened (a restart); the old one is closed first. */
  reopen(clock: ManualClock): Promise<Store>;
  cleanup(): void;
}

let serial = 0;
/** A text event in its own chat unless told otherwise. */
export function received(overrides: Record<string, unknown> = {}): ReceivedEvent {
  serial++;
  const raw = {
    type: "message",
    webhookEventId: `evt-${serial}`,
    timestamp: T0 + serial,
    source: { type: "user", userId: `U${String(serial).padStart(32, "0")}` },
    replyToken: `token-${serial}`,
    message: { type: "text", id: `m${serial}`, text: `hello ${serial}` },
    ...overrides,
  };
  return { parsed: parseEvent(raw, T0), body: JSON.stringify(raw), destination: "Ubot" };
}

const ids = (events: Array<{ parsed: { id: string } }>) => events.map((e) => e.parsed.id);
const toBoth: Router = () => ["a", "b"];
const toNone: Router = () => [];
const ALL = new Set(["a", "b", "p"]);

/** Claims everything due now, as (event id, plugin) pairs. */
async function claimAll(store: Store, now: number, limit = 100): Promise<string[][]> {
  const claim = await store.claim({ limit, plugins: ALL, now });
  return claim.events.flatMap((event) =>
    event.deliveries.map((delivery) => [delivery.eventId, delivery.plugin]),
  );
}

const done = (eventId: string, plugin: string) => ({
  eventId,
  plugin,
  settlement: { status: "done" as const },
});

export function describeStoreContract(driver: string, fixture: () => StoreFixture): void {
  describe(`Store contract (${driver})`, () => {
    let clock: ManualClock;
    let store: Store;
    let current: StoreFixture;

    beforeEach(async () => {
      current = fixture();
      clock = new ManualClock(T0);
      store = await current.open(clock);
    });
    afterEach(async () => {
      await store.close();
      current.cleanup();
    });

    test("ingest stores events durably and resolves with the new ones, routed", async () => {
      const a = received();
      const stored = await store.ingest([a], toBoth);
      expect(ids(stored)).toEqual([a.parsed.id]);
      expect(stored[0]?.plugins).toEqual(["a", "b"]);
      store = await current.reopen(clock);
      expect((await store.readEvent(a.parsed.id))?.parsed.event).toEqual(a.parsed.event);
      expect((await store.readEvent(a.parsed.id))?.openPlugins.sort()).toEqual(["a", "b"]);
    });

    test("dedups by id: across calls, within one call, and within one group commit", async () => {
      const a = received();
      const b = received();
      expect(ids(await store.ingest([a], toBoth))).toEqual([a.parsed.id]);
      expect(await store.ingest([{ ...a, body: '{"type":"redelivery"}' }], toBoth)).toEqual([]);
      expect((await store.readEvent(a.parsed.id))?.parsed.type).toBe("message");
      expect(ids(await store.ingest([b, b], toBoth))).toEqual([b.parsed.id]);
      // Two requests carrying the same event at once: only one of them stores it.
      const c = received();
      const d = received();
      const [first, second] = await Promise.all([
        store.ingest([c], toBoth),
        store.ingest([c, d], toBoth),
      ]);
      expect([...ids(first), ...ids(second)].sort()).toEqual([c.parsed.id, d.parsed.id].sort());
    });

    test("events stored before routing are routed later, and none twice", async () => {
      const a = received();
      const b = received();
      await store.ingest([a, b], undefined);
      expect(await claimAll(store, T0)).toEqual([]);
      const routed = await store.routePending(toBoth);
      expect(ids(routed)).toEqual([a.parsed.id, b.parsed.id]);
      expect(await store.routePending(toBoth)).toEqual([]);
      expect((await claimAll(store, T0)).length).toBe(4);
    });

    test("a lane runs one delivery at a time, in event timestamp order, late arrivals included", async () => {
      const chat = { source: { type: "user", userId: `U${"c".repeat(32)}` } };
      const late = received({ ...chat, timestamp: T0 + 500 });
      const early = received({ ...chat, timestamp: T0 + 100 });
      await store.ingest([late, early], () => ["p"]);
      // A redelivered event older than both arrives after them: it still runs first.
      const earliest = received({ ...chat, timestamp: T0 + 50 });
      await store.ingest([earliest], () => ["p"]);
      const order: string[] = [];
      for (let i = 0; i < 3; i++) {
        const claimed = await claimAll(store, T0);
        expect(claimed.length).toBe(1);
        const [eventId] = claimed[0] as [string];
        order.push(eventId);
        // The lane is held while its head runs.
        expect(await claimAll(store, T0)).toEqual([]);
        await store.settle([done(eventId, "p")], T0);
      }
      expect(order).toEqual([earliest.parsed.id, early.parsed.id, late.parsed.id]);
    });

    test("an event's deliveries are claimed together; other chats run in parallel", async () => {
      const [a, b] = [received(), received()];
      await store.ingest([a, b], toBoth);
      const claim = await store.claim({ limit: 1, plugins: ALL, now: T0 });
      // The limit is passed by the last event rather than split it: its replies go out together.
      expect(claim.events.map((e) => e.deliveries.map((d) => d.plugin).sort())).toEqual([
        ["a", "b"],
      ]);
      expect(claim.events[0]?.event.parsed.id).toBe(a.parsed.id);
      expect((await claimAll(store, T0)).map(([id]) => id)).toEqual([b.parsed.id, b.parsed.id]);
    });

    test("only the plugins asked for are claimed", async () => {
      const a = received();
      await store.ingest([a], toBoth);
      const claim = await store.claim({ limit: 10, plugins: new Set(["b"]), now: T0 });
      expect(claim.events.flatMap((e) => e.deliveries.map((d) => d.plugin))).toEqual(["b"]);
    });

    test("a retry holds its lane until it is due; a dead letter releases it", async () => {
      const chat = { source: { type: "user", userId: `U${"d".repeat(32)}` } };
      const [first, second] = [received({ ...chat }), received({ ...chat })];
      await store.ingest([first, second], () => ["p"]);
      const id = first.parsed.id;
      await claimAll(store, T0);
      const retry = { status: "retry" as const, error: "boom", nextAttemptAt: T0 + 1000 };
      await store.settle([{ eventId: id, plugin: "p", settlement: retry }], T0);
      const waiting = await store.claim({ limit: 10, plugins: ALL, now: T0 + 999 });
      expect(waiting).toEqual({ events: [], nextDueAt: T0 + 1000 });
      const again = await store.claim({ limit: 10, plugins: ALL, now: T0 + 1000 });
      expect(again.events[0]?.deliveries).toEqual([{ eventId: id, plugin: "p", attempts: 1 }]);
      const dead = { status: "dead" as const, error: "gave up" };
      await store.settle([{ eventId: id, plugin: "p", settlement: dead }], T0 + 1000);
      expect(await claimAll(store, T0 + 1000)).toEqual([[second.parsed.id, "p"]]);
    });

    test("a deferred delivery keeps its place, counts no attempt, and undefer makes it due", async () => {
      const a = received();
      await store.ingest([a], () => ["p"]);
      await claimAll(store, T0);
      const deferred = { status: "deferred" as const, until: T0 + 60_000 };
      await store.settle([{ eventId: a.parsed.id, plugin: "p", settlement: deferred }], T0);
      expect(await claimAll(store, T0)).toEqual([]);
      let woken = 0;
      const stop = store.onWork(() => woken++);
      await store.undefer("p");
      stop();
      // At least once: on PostgreSQL, its own NOTIFY or the fallback poll may wake it again.
      expect(woken).toBeGreaterThanOrEqual(1);
      const claim = await store.claim({ limit: 10, plugins: ALL, now: T0 });
      expect(claim.events[0]?.deliveries).toEqual([
        { eventId: a.parsed.id, plugin: "p", attempts: 0 },
      ]);
    });

    test("settling every delivery settles the event; open ones survive a restart", async () => {
      const a = received();
      await store.ingest([a], toBoth);
      const id = a.parsed.id;
      expect((await store.claim({ limit: 10, plugins: ALL, now: T0 })).events[0]?.fresh).toBe(true);
      const retry = { status: "retry" as const, error: "boom", nextAttemptAt: T0 + 1000 };
      expect(
        await store.settle([{ eventId: id, plugin: "a", settlement: retry }, done(id, "b")], T0),
      ).toEqual([]);
      store = await current.reopen(clock);
      const claim = await store.claim({ limit: 10, plugins: ALL, now: T0 + 1000 });
      expect(claim.events[0]?.deliveries).toEqual([{ eventId: id, plugin: "a", attempts: 1 }]);
      expect(claim.events[0]?.fresh).toBe(false);
      expect(await store.settle([done(id, "a")], T0)).toEqual([id]);
      expect((await store.eventCounts()).done).toBe(1);
    });

    test("an event never run is fresh also after a restart: no store read before its reply", async () => {
      const a = received();
      await store.ingest([a], toBoth);
      store = await current.reopen(clock);
      const [claimed] = (await store.claim({ limit: 10, plugins: ALL, now: T0 })).events;
      expect(claimed?.deliveries.map((d) => d.attempts)).toEqual([0, 0]);
      expect(claimed?.fresh).toBe(true);
    });

    test("reply attempts are recorded per plugin and can be cleared", async () => {
      const a = received();
      await store.ingest([a], toBoth);
      const id = a.parsed.id;
      expect((await store.replyAttempts(id)).attemptedAt).toBeNull();
      await store.markReplyAttempted(id, ["a"], T0 + 5);
      const attempts = await store.replyAttempts(id);
      expect(attempts.attemptedAt).toBe(T0 + 5);
      expect([...attempts.plugins]).toEqual(["a"]);
      await store.clearReplyAttempted(id, ["a"], T0 + 6);
      expect([...(await store.replyAttempts(id)).plugins]).toEqual([]);
    });

    test("dead letters: listed newest first, retried with fresh attempts, or discarded", async () => {
      const [a, b] = [received(), received()];
      await store.ingest([a, b], () => ["p"]);
      await claimAll(store, T0);
      for (const event of [a, b]) {
        clock.advance(10);
        const settlement = { status: "dead" as const, error: "gave up" };
        await store.settle([{ eventId: event.parsed.id, plugin: "p", settlement }], clock.now());
      }
      const dead = await store.listDead({ limit: 10 });
      expect(dead.map((d) => d.eventId)).toEqual([b.parsed.id, a.parsed.id]);
      const page = await store.listDead({ limit: 1, after: dead[0] });
      expect(page.map((d) => d.eventId)).toEqual([a.parsed.id]);

      const retried = await store.retryDead(
        { deliveries: [{ eventId: a.parsed.id, plugin: "p" }] },
        clock.now(),
      );
      expect(retried).toMatchObject([{ eventId: a.parsed.id, plugin: "p", attempts: 0 }]);
      expect((await store.readEvent(a.parsed.id))?.openPlugins).toEqual(["p"]);
      expect(await claimAll(store, clock.now())).toEqual([[a.parsed.id, "p"]]);
      const discarded = await store.discardDead({ plugin: "p" }, "not needed", clock.now());
      expect(discarded).toEqual([{ eventId: b.parsed.id, plugin: "p" }]);
      expect((await store.deliveriesOf(b.parsed.id))[0]?.lastError).toBe(
        "discarded: not needed (last error: gave up)",
      );
    });

    test("dropping a plugin settles its open deliveries, with the reason", async () => {
      const a = received();
      await store.ingest([a], () => ["p"]);
      expect(await store.dropPlugin("p", "plugin file removed", T0)).toEqual([a.parsed.id]);
      expect(await store.deliveriesOf(a.parsed.id)).toMatchObject([
        { status: "dropped", lastError: "plugin file removed" },
      ]);
    });

    test("prune removes settled events past the retention, never open or dead-lettered ones", async () => {
      const [settled, open, dead] = [received(), received(), received()];
      await store.ingest([settled], toNone);
      await store.ingest([open, dead], () => ["p"]);
      await claimAll(store, T0);
      const settlement = { status: "dead" as const, error: "x" };
      await store.settle([{ eventId: dead.parsed.id, plugin: "p", settlement }], T0);
      clock.advance(2 * HOUR);
      expect(await store.prune(HOUR, clock.now())).toMatchObject({ events: 1 });
      expect(await store.readEvent(settled.parsed.id)).toBeUndefined();
      expect(await store.readEvent(open.parsed.id)).toBeDefined();
      expect(await store.readEvent(dead.parsed.id)).toBeDefined();
      // While retained, a redelivery still dedups; once pruned, it would be new.
      expect(await store.ingest([open], toNone)).toEqual([]);
    });

    test("sessions are saved with a done settlement only, survive a restart, expire and prune", async () => {
      const source = { type: "user", userId: "U1" };
      const [first, second] = [received({ source }), received({ source })];
      await store.ingest([first, second], () => ["p"]);
      const chat = { plugin: "p", scope: "chat" as const, key: "user:U1" };
      const dialog = { plugin: "p", scope: "dialog" as const, key: "user:U1|U1" };
      const value = JSON.stringify({ todo: ["milk"], emoji: "🥛" });
      await claimAll(store, T0);
      // A failed run's writes are not kept: the retry sees the state as it was.
      const retry = { status: "retry" as const, error: "x", nextAttemptAt: T0 };
      const lost = { sessions: [{ ...chat, value: '{"todo":["lost"]}', expiresAt: null }] };
      await store.settle(
        [{ eventId: first.parsed.id, plugin: "p", settlement: retry, effects: lost }],
        T0,
      );
      expect(await store.readSessions([chat], T0)).toEqual([]);
      await claimAll(store, T0);
      const effects = {
        sessions: [
          { ...chat, value, expiresAt: null },
          { ...dialog, value: '{"step":1}', expiresAt: T0 + HOUR },
        ],
      };
      await store.settle([{ ...done(first.parsed.id, "p"), effects }], T0);
      store = await current.reopen(clock);
      const read = await store.readSessions([chat, dialog, { ...chat, plugin: "q" }], T0);
      // Values are JSON, compared parsed: PostgreSQL's jsonb keeps no formatting.
      const parsed = read.map((record) => ({ ...record, value: JSON.parse(record.value) }));
      expect(parsed.sort((a, b) => a.scope.localeCompare(b.scope))).toEqual([
        { ...chat, value: { todo: ["milk"], emoji: "🥛" }, expiresAt: null },
        { ...dialog, value: { step: 1 }, expiresAt: T0 + HOUR },
      ]);
      expect(await store.readSessions([dialog], T0 + HOUR)).toEqual([]);
      // A write with value null deletes.
      await claimAll(store, T0);
      const removal = { sessions: [{ ...chat, value: null, expiresAt: null }] };
      await store.settle([{ ...done(second.parsed.id, "p"), effects: removal }], T0);
      expect(await store.readSessions([chat], T0)).toEqual([]);
      expect(await store.prune(HOUR, T0 + HOUR)).toMatchObject({ sessions: 1 });
    });

    test("schedules a delivery made are saved with its done settlement only", async () => {
      const [first, second] = [received(), received()];
      await store.ingest([first, second], () => ["p"]);
      await claimAll(store, T0);
      const put = (id: string) => ({
        put: {
          id,
          plugin: "p",
          job: "remind",
          payload: null,
          cron: null,
          timeZone: null,
          everyMs: null,
          nextRunAt: T0 + HOUR,
          declared: false,
        },
      });
      const retry = { status: "retry" as const, error: "x", nextAttemptAt: T0 };
      await store.settle(
        [
          {
            eventId: first.parsed.id,
            plugin: "p",
            settlement: retry,
            effects: { schedules: [put("p:lost")] },
          },
          {
            ...done(second.parsed.id, "p"),
            effects: { schedules: [put("p:kept"), { cancel: "p:kept" }] },
          },
        ],
        T0,
      );
      expect(await store.listSchedules({ plugin: "p", limit: 10 })).toMatchObject([
        { id: "p:kept", status: "cancelled" },
      ]);
    });

    describeScheduleContract(
      () => ({ store, clock, reopen: () => current.reopen(clock) }),
      (s) => {
        store = s;
      },
    );

    test("counts and depth", async () => {
      await store.ingest([received(), received()], () => ["p"]);
      await store.ingest([received()], toNone);
      expect(await store.eventCounts()).toEqual({ pending: 0, active: 2, done: 1 });
      expect(await store.deliveryCounts()).toMatchObject({ pending: 2, done: 0 });
      expect(await store.depth()).toEqual({ open: 2, oldestReceivedAt: T0 });
      expect((await store.unsettledByPlugin()).get("p")).toEqual({ open: 2, dead: 0 });
      await store.check();
    });
  });
}
