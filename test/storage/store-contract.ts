/**
 * What every Store driver must do, as one suite: a driver's test file runs it with a function
 * that opens a fresh store (and, for "after a restart", another store on the same data).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/core/clock.ts";
import { parseEvent, type ReceivedEvent } from "../../src/core/parsed-event.ts";
import type { Router, Store } from "../../src/storage/store.ts";

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
      expect(await store.openDeliveries()).toEqual([]);
      const routed = await store.routePending(toBoth);
      expect(ids(routed)).toEqual([a.parsed.id, b.parsed.id]);
      expect(await store.routePending(toBoth)).toEqual([]);
      expect((await store.openDeliveries()).length).toBe(4);
    });

    test("open deliveries come back by event timestamp, then arrival", async () => {
      const late = received({ timestamp: T0 + 500 });
      const early = received({ timestamp: T0 + 100 });
      const sameAsEarly = received({ timestamp: T0 + 100 });
      const unrouted = received({ timestamp: T0 });
      await store.ingest([late, early, sameAsEarly], () => ["p"]);
      await store.ingest([unrouted], toNone);
      const open = await store.openDeliveries();
      expect(open.map((d) => d.eventId)).toEqual([
        early.parsed.id,
        sameAsEarly.parsed.id,
        late.parsed.id,
      ]);
      expect(open[0]).toMatchObject({ plugin: "p", attempts: 0, chatKey: early.parsed.chatKey });
    });

    test("settling every delivery settles the event; a retry keeps it open", async () => {
      const a = received();
      await store.ingest([a], toBoth);
      const id = a.parsed.id;
      const retry = { status: "retry" as const, error: "boom", nextAttemptAt: T0 + 1000 };
      expect(await store.settle({ eventId: id, plugin: "a" }, retry, T0)).toBe(false);
      expect(await store.settle({ eventId: id, plugin: "b" }, { status: "done" }, T0)).toBe(false);
      expect(await store.openDeliveries()).toMatchObject([{ plugin: "a", attempts: 1 }]);
      expect(await store.settle({ eventId: id, plugin: "a" }, { status: "done" }, T0)).toBe(true);
      expect((await store.eventCounts()).done).toBe(1);
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
      for (const event of [a, b]) {
        clock.advance(10);
        const key = { eventId: event.parsed.id, plugin: "p" };
        await store.settle(key, { status: "dead", error: "gave up" }, clock.now());
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
      await store.settle(
        { eventId: dead.parsed.id, plugin: "p" },
        { status: "dead", error: "x" },
        T0,
      );
      clock.advance(2 * HOUR);
      expect(await store.prune(HOUR, clock.now())).toMatchObject({ events: 1 });
      expect(await store.readEvent(settled.parsed.id)).toBeUndefined();
      expect(await store.readEvent(open.parsed.id)).toBeDefined();
      expect(await store.readEvent(dead.parsed.id)).toBeDefined();
      // While retained, a redelivery still dedups; once pruned, it would be new.
      expect(await store.ingest([open], toNone)).toEqual([]);
    });

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
