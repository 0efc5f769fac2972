/**
 * Schedules on one PostgreSQL database shared by several instances of one bot: a due run is handed
 * to one of them, and a dead instance's runs are taken over by the living.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.ts";
import type { ScheduleSpec } from "../../src/storage/store.ts";
import { freshSchema, TEST_DATABASE_URL } from "../helpers/postgres.ts";

const T0 = Date.UTC(2026, 0, 1);
const JOBS = new Map([["p", new Set(["job"])]]);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openStores(count: number) {
  const schema = freshSchema();
  const clock = new ManualClock(T0);
  const stores: PostgresStore[] = [];
  for (let i = 0; i < count; i++)
    stores.push(
      await PostgresStore.open({
        databaseUrl: schema.url,
        clock,
        log: silentLogger,
        maxAttempts: 3,
      }),
    );
  cleanups.push(async () => {
    for (const store of stores) await store.close().catch(() => undefined);
    await schema.drop();
  });
  return { stores, clock };
}

const spec = (n: number): ScheduleSpec => ({
  id: `p:${String(n).padStart(4, "0")}`,
  plugin: "p",
  job: "job",
  payload: JSON.stringify({ n }),
  cron: null,
  timeZone: null,
  everyMs: null,
  nextRunAt: T0,
  declared: false,
});

describe.skipIf(!TEST_DATABASE_URL)("PostgreSQL: schedules across instances", () => {
  test("300 due runs claimed by three instances at once: each handed out once, each done", async () => {
    const { stores, clock } = await openStores(3);
    const specs = Array.from({ length: 300 }, (_, n) => spec(n));
    await stores[0]?.writeSchedules(
      specs.map((put) => ({ put })),
      T0,
    );
    const claimed: string[] = [];
    const work = async (store: PostgresStore) => {
      for (;;) {
        const { runs } = await store.claimSchedules({ jobs: JOBS, limit: 7, now: clock.now() });
        if (runs.length === 0) return;
        claimed.push(...runs.map((run) => run.id));
        const settled = runs.map(({ id, revision }) => ({
          id,
          revision,
          settlement: { status: "done" as const },
        }));
        await store.settleSchedules(settled, clock.now());
      }
    };
    await Promise.all(stores.map(work));
    expect(claimed.length).toBe(300);
    expect(new Set(claimed).size).toBe(300);
    const records = await stores[1]?.listSchedules({ plugin: "p", limit: 1000 });
    expect(records?.every((record) => record.status === "done")).toBe(true);
  });

  test("a dead instance's running run is taken over with its run's time, counting an attempt", async () => {
    const { stores, clock } = await openStores(2);
    const [dying, living] = stores as [PostgresStore, PostgresStore];
    await dying.writeSchedules([{ put: spec(1) }], T0);
    expect((await dying.claimSchedules({ jobs: JOBS, limit: 1, now: T0 })).runs).toHaveLength(1);
    // Claimed elsewhere: nothing for the living while the other instance holds it.
    expect((await living.claimSchedules({ jobs: JOBS, limit: 1, now: T0 })).runs).toEqual([]);
    await dying.abandon();
    clock.advance(1000);
    await living.sweep();
    const { runs } = await living.claimSchedules({ jobs: JOBS, limit: 1, now: clock.now() });
    expect(runs).toMatchObject([
      { id: "p:0001", runAt: T0, revision: 0, attempts: 1, lastError: expect.any(String) },
    ]);
  });
});
