/**
 * Several stores on one PostgreSQL database, as several instances of one bot: lanes stay one at a
 * time and in order across them, every delivery ends once, and a dead instance's deliveries are
 * taken over by the living.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/core/clock.ts";
import { parseEvent, type ReceivedEvent } from "../../src/core/parsed-event.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.ts";
import type { ClaimedEvent, Settlement } from "../../src/storage/store.ts";
import { freshSchema, TEST_DATABASE_URL } from "../helpers/postgres.ts";

const PLUGINS = ["p1", "p2", "p3"];
const T0 = Date.UTC(2026, 0, 1);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openStores(count: number, options: { sweepMs?: number; leaseMs?: number } = {}) {
  const schema = freshSchema();
  const clock = new ManualClock(T0);
  const stores: PostgresStore[] = [];
  for (let i = 0; i < count; i++) {
    stores.push(
      await PostgresStore.open({
        databaseUrl: schema.url,
        clock,
        log: silentLogger,
        maxAttempts: 3,
        ...options,
      }),
    );
  }
  cleanups.push(async () => {
    for (const store of stores) await store.close().catch(() => undefined);
    await schema.drop();
  });
  return { stores, clock, url: schema.url };
}

function event(chat: number, n: number): ReceivedEvent {
  const raw = {
    type: "message",
    webhookEventId: `e-${chat}-${n}`,
    timestamp: T0 + n,
    source: { type: "user", userId: `U${String(chat).padStart(32, "0")}` },
    message: { type: "text", id: `m-${chat}-${n}`, text: `${n}` },
  };
  return { parsed: parseEvent(raw, T0), body: JSON.stringify(raw), destination: undefined };
}

describe.skipIf(!TEST_DATABASE_URL)("PostgreSQL: several instances, one bot", () => {
  test("1,000 events over 50 chats × 3 plugins with random failures: one running per lane, lanes in order, one done each", async () => {
    const { stores, clock } = await openStores(2);
    const chats = 50;
    const perChat = 20;
    // Spread over both stores, in shuffled order: lanes must still run by timestamp.
    const events = Array.from({ length: chats * perChat }, (_, i) =>
      event(i % chats, Math.floor(i / chats)),
    ).sort(() => Math.random() - 0.5);
    for (let i = 0; i < events.length; i += 10) {
      const store = stores[(i / 10) % 2] as PostgresStore;
      await store.ingest(events.slice(i, i + 10), () => PLUGINS);
    }
    // The same batch again, at both instances at once: stored once.
    const again = await Promise.all(
      stores.map((store) => store.ingest(events.slice(0, 10), () => PLUGINS)),
    );
    expect(again.flat()).toEqual([]);

    const running = new Set<string>();
    const order = new Map<string, number[]>();
    const done = new Map<string, number>();
    const plugins = new Set(PLUGINS);
    const work = async (store: PostgresStore) => {
      for (let idle = 0; idle < 3; ) {
        const claim = await store.claim({ limit: 8, plugins, now: clock.now() });
        if (claim.events.length === 0) {
          idle++;
          continue;
        }
        idle = 0;
        await Promise.all(claim.events.map((claimed) => run(store, claimed)));
      }
    };
    const run = async (store: PostgresStore, claimed: ClaimedEvent) => {
      const { parsed } = claimed.event;
      const settled = claimed.deliveries.map((delivery) => {
        const lane = `${parsed.chatKey}/${delivery.plugin}`;
        expect(running.has(lane)).toBe(false);
        running.add(lane);
        order.set(lane, [...(order.get(lane) ?? []), parsed.timestamp]);
        const fails = Math.random() < 0.2 && delivery.attempts < 2;
        const settlement: Settlement = fails
          ? { status: "retry", error: "random", nextAttemptAt: clock.now() }
          : { status: "done" };
        if (!fails) {
          const key = `${delivery.eventId}/${delivery.plugin}`;
          done.set(key, (done.get(key) ?? 0) + 1);
        }
        return { eventId: delivery.eventId, plugin: delivery.plugin, settlement };
      });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      for (const { plugin } of claimed.deliveries) running.delete(`${parsed.chatKey}/${plugin}`);
      await store.settle(settled, clock.now());
    };
    await Promise.all(stores.map(work));

    expect(done.size).toBe(events.length * PLUGINS.length);
    expect([...done.values()].every((n) => n === 1)).toBe(true);
    for (const timestamps of order.values()) {
      // Retries repeat a timestamp; otherwise each lane only moves forward.
      for (let i = 1; i < timestamps.length; i++)
        expect(timestamps[i] as number).toBeGreaterThanOrEqual(timestamps[i - 1] as number);
    }
    expect(await stores[0]?.eventCounts()).toEqual({ pending: 0, active: 0, done: events.length });
  }, 120_000);

  test("a dead instance's running deliveries are taken over within seconds, the attempt counted", async () => {
    const { stores, clock } = await openStores(2, { sweepMs: 200 });
    const [doomed, survivor] = stores as [PostgresStore, PostgresStore];
    await doomed.ingest([event(1, 1)], () => ["p1"]);
    const claim = await doomed.claim({ limit: 1, plugins: new Set(["p1"]), now: clock.now() });
    expect(claim.events).toHaveLength(1);
    // Its claim holds the lane: the survivor gets nothing.
    const plugins = new Set(["p1"]);
    expect((await survivor.claim({ limit: 1, plugins, now: clock.now() })).events).toEqual([]);

    // The instance dies without a word: its connections are cut, as a kill -9 would cut them.
    const died = Date.now();
    await doomed.abandon();
    let taken: ClaimedEvent[] = [];
    while (taken.length === 0 && Date.now() - died < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      taken = (await survivor.claim({ limit: 1, plugins, now: clock.now() })).events;
    }
    expect(taken.map((c) => c.deliveries)).toEqual([
      [{ eventId: "e-1-1", plugin: "p1", attempts: 1 }],
    ]);
    expect(Date.now() - died).toBeLessThan(5000);
    // A settlement from the dead instance's side would now be fenced: it no longer owns it.
    await survivor.settle([{ eventId: "e-1-1", plugin: "p1", settlement: { status: "done" } }], 0);
    expect((await survivor.deliveriesOf("e-1-1"))[0]?.status).toBe("done");
  });

  test("a stuck instance's lease runs out and its late settlement is fenced", async () => {
    const { stores, clock } = await openStores(2, { sweepMs: 100, leaseMs: 60_000 });
    const [stuck, survivor] = stores as [PostgresStore, PostgresStore];
    await stuck.ingest([event(2, 1)], () => ["p1"]);
    const plugins = new Set(["p1"]);
    await stuck.claim({ limit: 1, plugins, now: clock.now() });
    // It renews its lease every 15 s of real time: past the lease on the shared clock, it is stuck.
    clock.advance(60_001);
    await survivor.sweep();
    const taken = await survivor.claim({ limit: 1, plugins, now: clock.now() });
    expect(taken.events[0]?.deliveries).toEqual([{ eventId: "e-2-1", plugin: "p1", attempts: 1 }]);
    const late = { eventId: "e-2-1", plugin: "p1", settlement: { status: "done" as const } };
    expect(await stuck.settle([late], clock.now())).toEqual([]);
    expect((await survivor.deliveriesOf("e-2-1"))[0]?.status).toBe("pending");
  });
});
