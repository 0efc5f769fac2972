import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count } from "drizzle-orm";
import { ManualClock } from "../../src/core/clock.ts";
import { chatKeyOf, eventIdOf } from "../../src/core/event-identity.ts";
import type { SqliteHandle } from "../../src/platform/mod.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { DeliveryStore } from "../../src/storage/deliveries.ts";
import { Inbox, type InboxEventInput } from "../../src/storage/inbox.ts";
import { deliveries, inboxEvents } from "../../src/storage/schema.ts";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

let dataDir: string;
let handle: SqliteHandle;
let clock: ManualClock;
let inbox: Inbox;
let store: DeliveryStore;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "hotline-inbox-"));
  handle = openDatabase(dataDir);
  clock = new ManualClock(T0);
  inbox = new Inbox(handle.db, clock);
  store = new DeliveryStore(handle.db);
});
afterEach(() => {
  handle.close();
  rmSync(dataDir, { recursive: true, force: true });
});

let serial = 0;
function row(overrides: Partial<InboxEventInput> = {}): InboxEventInput {
  serial++;
  const id = overrides.id ?? `evt-${serial}`;
  return {
    id,
    chatKey: `user:U${serial}`,
    type: "message",
    timestamp: T0 + serial,
    destination: "Ubot",
    body: JSON.stringify({ type: "message", webhookEventId: id }),
    ...overrides,
  };
}

const ids = (events: Array<{ id: string }>) => events.map((e) => e.id);
const rowCount = () => handle.db.select({ n: count() }).from(inboxEvents).get()?.n ?? 0;

describe("Inbox.store", () => {
  test("stores rows durably, with the receive time, and returns the new ones", async () => {
    const a = row();
    const stored = await inbox.store([a]);
    expect(stored).toEqual([
      {
        seq: expect.any(Number),
        id: a.id,
        chatKey: a.chatKey,
        timestamp: a.timestamp,
        status: "pending",
      },
    ]);
    expect(inbox.get(a.id)).toMatchObject({
      ...a,
      receivedAt: T0,
      status: "pending",
      doneAt: null,
    });

    // Another connection after close sees the commit: it is on disk, not in a cache.
    handle.close();
    handle = openDatabase(dataDir);
    expect(new Inbox(handle.db, clock).get(a.id)?.body).toBe(a.body);
  });

  test("an empty store resolves at once and writes nothing", async () => {
    expect(await inbox.store([])).toEqual([]);
    expect(rowCount()).toBe(0);
  });

  test("dedups by id: across calls, within one call, and within one group commit", async () => {
    const a = row();
    const b = row();
    expect(ids(await inbox.store([a]))).toEqual([a.id]);
    expect(await inbox.store([{ ...a, body: "a redelivery" }])).toEqual([]);
    expect(inbox.get(a.id)?.body).toBe(a.body);

    expect(ids(await inbox.store([b, b]))).toEqual([b.id]);

    // Two requests carrying the same event in the same turn: only one of them gets it.
    const c = row();
    const [first, second] = await Promise.all([
      inbox.store([c]),
      inbox.store([c, row({ id: "d" })]),
    ]);
    expect(ids(first ?? [])).toEqual([c.id]);
    expect(ids(second ?? [])).toEqual(["d"]);
    expect(rowCount()).toBe(4);
  });

  test("writes issued in the same turn are committed together and each resolved with its own rows", async () => {
    const batches = Array.from({ length: 20 }, () => [row(), row()]);
    const results = await Promise.all(batches.map((rows) => inbox.store(rows)));
    results.forEach((result, i) => {
      expect(ids(result)).toEqual(ids(batches[i] ?? []));
    });
    // One transaction: seqs are consecutive in call order.
    const seqs = results.flat().map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
  });

  test("a large batch is split under SQLite's parameter cap and fully stored", async () => {
    const rows = Array.from({ length: 1234 }, () => row());
    expect(await inbox.store(rows)).toHaveLength(1234);
    expect(rowCount()).toBe(1234);
  });
});

describe("Inbox.open", () => {
  test("lists unsettled events by timestamp, then arrival", async () => {
    const late = row({ timestamp: T0 + 500 });
    const early = row({ timestamp: T0 + 100 });
    const sameAsEarly = row({ timestamp: T0 + 100 });
    const done = row({ timestamp: T0 });
    await inbox.store([late, early, sameAsEarly, done]);
    store.transaction(() => store.route(done.id, [], clock.now()));
    expect(ids(inbox.open())).toEqual([early.id, sameAsEarly.id, late.id]);
  });
});

describe("Inbox.prune", () => {
  test("removes settled events past the retention with their deliveries, keeps open ones", async () => {
    const doneOld = row();
    const doneRecent = row();
    const pendingOld = row();
    const activeOld = row();
    await inbox.store([doneOld, doneRecent, pendingOld, activeOld]);
    store.transaction(() => {
      store.route(doneOld.id, [], clock.now());
      store.route(activeOld.id, ["p"], clock.now());
    });

    clock.advance(10 * HOUR);
    store.transaction(() => store.route(doneRecent.id, ["p"], clock.now()));
    await store.settle(doneRecent.id, "p", { status: "done" }, clock.now());

    expect(inbox.prune(5 * HOUR)).toBe(1);
    expect(inbox.get(doneOld.id)).toBeUndefined();
    for (const kept of [doneRecent, pendingOld, activeOld])
      expect(inbox.get(kept.id)).toBeDefined();
    // While retained, a redelivery still dedups.
    expect(await inbox.store([doneRecent])).toEqual([]);

    // The active one is dead-lettered (settled) and ages past the retention too: it stays, since
    // its dead letter waits for an operator; only the done one goes.
    await store.settle(activeOld.id, "p", { status: "dead", error: "gave up" }, clock.now());
    clock.advance(5 * HOUR + 1);
    expect(inbox.prune(5 * HOUR)).toBe(1);
    const left = () => ids(handle.db.select({ id: inboxEvents.id }).from(inboxEvents).all());
    expect(left().sort()).toEqual([pendingOld.id, activeOld.id].sort());
    expect(handle.db.select().from(deliveries).all()).toMatchObject([
      { eventId: activeOld.id, status: "dead", lastError: "gave up" },
    ]);

    // Discarded by an operator, it ages out like any settled event.
    store.discardDead(
      { deliveries: [{ eventId: activeOld.id, plugin: "p" }] },
      "not needed",
      clock.now(),
    );
    clock.advance(5 * HOUR + 1);
    expect(inbox.prune(5 * HOUR)).toBe(1);
    expect(left()).toEqual([pendingOld.id]);
    expect(handle.db.select().from(deliveries).all()).toEqual([]);
  });

  test("an event settled exactly at the cutoff is kept", async () => {
    const a = row();
    await inbox.store([a]);
    store.transaction(() => store.route(a.id, [], clock.now()));
    clock.advance(HOUR);
    expect(inbox.prune(HOUR)).toBe(0);
    clock.advance(1);
    expect(inbox.prune(HOUR)).toBe(1);
  });
});

describe("event identity", () => {
  const base = {
    type: "follow",
    timestamp: 1,
    source: { type: "user", userId: "U1" },
    deliveryContext: { isRedelivery: false },
  };

  test("LINE's webhookEventId is the id", () => {
    expect(eventIdOf({ ...base, webhookEventId: "01ABC" })).toBe("01ABC");
  });

  test("without one, the derived id ignores key order and the redelivery flag", () => {
    const id = eventIdOf(base);
    expect(id).toMatch(/^derived-[0-9a-f]{32}$/);
    const reordered = Object.fromEntries(Object.entries(base).reverse());
    expect(eventIdOf(reordered)).toBe(id);
    expect(eventIdOf({ ...base, deliveryContext: { isRedelivery: true } })).toBe(id);
    expect(eventIdOf({ ...base, webhookEventId: "" })).toMatch(/^derived-/);
  });

  test("without one, any difference in content gives another id", () => {
    const id = eventIdOf(base);
    expect(eventIdOf({ ...base, timestamp: 2 })).not.toBe(id);
    expect(eventIdOf({ ...base, source: { type: "user", userId: "U2" } })).not.toBe(id);
    expect(eventIdOf({ ...base, extra: [1, 2] })).not.toBe(eventIdOf({ ...base, extra: [2, 1] }));
    // Values that are not events still get distinct, stable ids.
    expect(eventIdOf(42)).toBe(eventIdOf(42));
    expect(new Set([42, "42", null, [42], {}].map(eventIdOf)).size).toBe(5);
  });

  test("the chat key is the ordering unit: the group or room before the user", () => {
    expect(chatKeyOf({ source: { type: "user", userId: "U1" } }, "e")).toBe("user:U1");
    expect(chatKeyOf({ source: { type: "group", groupId: "C1", userId: "U1" } }, "e")).toBe(
      "group:C1",
    );
    expect(chatKeyOf({ source: { type: "room", roomId: "R1", userId: "U1" } }, "e")).toBe(
      "room:R1",
    );
    expect(chatKeyOf({}, "e1")).toBe("event:e1");
    expect(chatKeyOf({ source: { type: "group", groupId: 5 } }, "e2")).toBe("event:e2");
  });
});
