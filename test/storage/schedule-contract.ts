/**
 * The schedule half of the Store contract: what every driver must do with schedules, run inside
 * `describeStoreContract` (each test gets a fresh store).
 */
import { describe, expect, test } from "bun:test";
import type { ManualClock } from "../../src/core/clock.ts";
import type { ScheduleSpec, Store } from "../../src/storage/store.ts";

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

interface Scene {
  store: Store;
  clock: ManualClock;
  reopen(): Promise<Store>;
}

let serial = 0;
function spec(overrides: Partial<ScheduleSpec> = {}): ScheduleSpec {
  serial++;
  return {
    id: `p:s${String(serial).padStart(5, "0")}`,
    plugin: "p",
    job: "remind",
    payload: JSON.stringify({ n: serial, text: "☕ coffee" }),
    cron: null,
    timeZone: null,
    everyMs: null,
    nextRunAt: T0 + MINUTE,
    declared: false,
    ...overrides,
  };
}

const JOBS = new Map([["p", new Set(["remind", "tick"])]]);

async function claimIds(store: Store, now: number, jobs = JOBS): Promise<string[]> {
  const claim = await store.claimSchedules({ jobs, limit: 100, now });
  return claim.runs.map((run) => run.id);
}

export function describeScheduleContract(
  scene: () => Scene,
  replaceStore: (store: Store) => void,
): void {
  describe("schedules", () => {
    test("a put is listed; a second put of the id replaces it as a new revision", async () => {
      const { store } = scene();
      const first = spec();
      expect(await store.writeSchedules([{ put: first }], T0)).toEqual([first.id]);
      const [stored] = await store.listSchedules({ ids: [first.id], limit: 10 });
      // Compared parsed: PostgreSQL's jsonb keeps no formatting.
      const { payload: _, ...fields } = first;
      expect(stored).toMatchObject({
        ...fields,
        runAt: first.nextRunAt,
        status: "scheduled",
        attempts: 0,
        revision: 0,
        createdAt: T0,
      });
      expect(JSON.parse(stored?.payload ?? "")).toEqual({ n: serial, text: "☕ coffee" });
      const replaced = { ...first, job: "tick", payload: null, nextRunAt: T0 + 2 * MINUTE };
      await store.writeSchedules([{ put: replaced }], T0 + 1);
      expect(await store.listSchedules({ plugin: "p", limit: 10 })).toMatchObject([
        { id: first.id, job: "tick", payload: null, nextRunAt: T0 + 2 * MINUTE, revision: 1 },
      ]);
    });

    test("claims hand out due runs of loaded jobs once, oldest first, and say when the next is due", async () => {
      const { store } = scene();
      const [late, early, future, otherJob, otherPlugin] = [
        spec({ nextRunAt: T0 + 20 }),
        spec({ nextRunAt: T0 + 10 }),
        spec({ nextRunAt: T0 + MINUTE }),
        spec({ job: "gone", nextRunAt: T0 }),
        spec({ id: "q:1", plugin: "q", nextRunAt: T0 }),
      ];
      await store.writeSchedules(
        [late, early, future, otherJob, otherPlugin].map((put) => ({ put })),
        T0,
      );
      const claim = await store.claimSchedules({ jobs: JOBS, limit: 10, now: T0 + 30 });
      expect(claim.runs.map((run) => [run.id, run.status])).toEqual([
        [early.id, "running"],
        [late.id, "running"],
      ]);
      expect(claim.nextDueAt).toBe(T0 + MINUTE);
      // Running runs are not handed out again.
      expect(await claimIds(store, T0 + 30)).toEqual([]);
      // A limit holds.
      const more = [spec({ nextRunAt: T0 }), spec({ nextRunAt: T0 })];
      await store.writeSchedules(
        more.map((put) => ({ put })),
        T0,
      );
      const one = await store.claimSchedules({ jobs: JOBS, limit: 1, now: T0 + 30 });
      expect(one.runs).toHaveLength(1);
    });

    test("settlements: next run of a recurring job, retries, dead, done; effects only when it ran", async () => {
      const { store } = scene();
      const recurring = spec({ job: "tick", cron: "*/5 * * * *", nextRunAt: T0 });
      const oneShot = spec({ nextRunAt: T0 });
      await store.writeSchedules([{ put: recurring }, { put: oneShot }], T0);
      await claimIds(store, T0);
      const made = spec({ nextRunAt: T0 + 10 * MINUTE });
      await store.settleSchedules(
        [
          {
            id: recurring.id,
            revision: 0,
            settlement: { status: "next", nextRunAt: T0 + 5 * MINUTE },
          },
          {
            id: oneShot.id,
            revision: 0,
            settlement: { status: "retry", error: "boom", nextAttemptAt: T0 + 1000 },
            schedules: [{ put: spec() }],
          },
        ],
        T0 + 1,
      );
      let [r, o] = await store.listSchedules({ ids: [recurring.id, oneShot.id], limit: 10 });
      if (r?.id !== recurring.id) [r, o] = [o, r];
      expect(r).toMatchObject({
        status: "scheduled",
        nextRunAt: T0 + 5 * MINUTE,
        runAt: T0 + 5 * MINUTE,
      });
      // A retry keeps its run's scheduled time: its pushes keep their retry keys.
      expect(o).toMatchObject({
        status: "scheduled",
        nextRunAt: T0 + 1000,
        runAt: T0,
        attempts: 1,
        lastError: "boom",
      });
      // The failed run's writes were not kept.
      expect(await store.listSchedules({ plugin: "p", limit: 10 })).toHaveLength(2);

      expect(await claimIds(store, T0 + 1000)).toEqual([oneShot.id]);
      await store.settleSchedules(
        [
          {
            id: oneShot.id,
            revision: 0,
            settlement: { status: "done" },
            schedules: [{ put: made }],
          },
        ],
        T0 + 1000,
      );
      expect(await store.listSchedules({ ids: [oneShot.id, made.id], limit: 10 })).toMatchObject([
        { id: oneShot.id, status: "done", attempts: 1, lastError: null },
        { id: made.id, status: "scheduled" },
      ]);

      expect(await claimIds(store, T0 + 5 * MINUTE)).toEqual([recurring.id]);
      await store.settleSchedules(
        [{ id: recurring.id, revision: 0, settlement: { status: "dead", error: "gave up" } }],
        T0 + 5 * MINUTE,
      );
      expect(await store.listSchedules({ statuses: ["dead"], limit: 10 })).toMatchObject([
        { id: recurring.id, attempts: 1, lastError: "gave up" },
      ]);
      expect(await store.retrySchedules([recurring.id, made.id], T0 + 6 * MINUTE)).toEqual([
        recurring.id,
      ]);
      expect(await claimIds(store, T0 + 6 * MINUTE)).toEqual([recurring.id]);
    });

    test("a run replaced or cancelled while it runs settles nothing", async () => {
      const { store } = scene();
      const [replaced, cancelled] = [spec({ nextRunAt: T0 }), spec({ nextRunAt: T0 })];
      await store.writeSchedules([{ put: replaced }, { put: cancelled }], T0);
      await claimIds(store, T0);
      await store.writeSchedules(
        [{ put: { ...replaced, nextRunAt: T0 + MINUTE } }, { cancel: cancelled.id }],
        T0 + 1,
      );
      await store.settleSchedules(
        [replaced, cancelled].map(({ id }) => ({
          id,
          revision: 0,
          settlement: { status: "done" as const },
          schedules: [{ put: spec() }],
        })),
        T0 + 2,
      );
      expect(await store.listSchedules({ plugin: "p", limit: 10 })).toMatchObject([
        { id: replaced.id, status: "scheduled", nextRunAt: T0 + MINUTE, revision: 1 },
        { id: cancelled.id, status: "cancelled", revision: 1 },
      ]);
      // Cancelling what is done or cancelled changes nothing.
      expect(
        await store.writeSchedules([{ cancel: cancelled.id }, { cancel: "p:none" }], T0),
      ).toEqual([]);
    });

    test("a deferred run counts no attempt and is due again when its plugin is back", async () => {
      const { store } = scene();
      const a = spec({ nextRunAt: T0 });
      const later = spec({ nextRunAt: T0 + 60 * MINUTE });
      await store.writeSchedules([{ put: a }, { put: later }], T0);
      await claimIds(store, T0);
      await store.settleSchedules(
        [{ id: a.id, revision: 0, settlement: { status: "deferred", until: T0 + MINUTE } }],
        T0,
      );
      expect(await claimIds(store, T0 + 1)).toEqual([]);
      await store.undeferSchedules("p", T0 + 2);
      expect(await claimIds(store, T0 + 2)).toEqual([a.id]);
      expect((await store.listSchedules({ ids: [a.id], limit: 1 }))[0]?.attempts).toBe(0);
    });

    test("declared jobs: created, kept while unchanged, replaced when changed, deleted when gone", async () => {
      const { store } = scene();
      const tick = spec({
        id: "p:tick",
        job: "tick",
        everyMs: MINUTE,
        payload: null,
        declared: true,
      });
      const mine = spec();
      await store.writeSchedules([{ put: mine }], T0);
      await store.declareJobs("p", [tick], T0);
      await claimIds(store, T0 + MINUTE);
      await store.settleSchedules(
        [{ id: tick.id, revision: 0, settlement: { status: "next", nextRunAt: T0 + 2 * MINUTE } }],
        T0 + MINUTE,
      );
      // Loaded again with the same declaration: its next run stays.
      await store.declareJobs("p", [{ ...tick, nextRunAt: T0 + 9 * MINUTE }], T0 + MINUTE);
      expect((await store.listSchedules({ ids: [tick.id], limit: 1 }))[0]).toMatchObject({
        nextRunAt: T0 + 2 * MINUTE,
        revision: 0,
      });
      const changed = { ...tick, everyMs: 2 * MINUTE, nextRunAt: T0 + 3 * MINUTE };
      await store.declareJobs("p", [changed], T0 + MINUTE);
      expect((await store.listSchedules({ ids: [tick.id], limit: 1 }))[0]).toMatchObject({
        everyMs: 2 * MINUTE,
        nextRunAt: T0 + 3 * MINUTE,
        revision: 1,
      });
      await store.declareJobs("p", [], T0 + MINUTE);
      expect((await store.listSchedules({ plugin: "p", limit: 10 })).map((s) => s.id)).toEqual([
        mine.id,
      ]);
    });

    test("a run cut short by a restart is due again, with the same scheduled time", async () => {
      const { store, clock } = scene();
      const a = spec({ nextRunAt: T0 });
      await store.writeSchedules([{ put: a }], T0);
      expect(await claimIds(store, T0)).toEqual([a.id]);
      clock.set(T0 + MINUTE);
      const reopened = await scene().reopen();
      replaceStore(reopened);
      // PostgreSQL finds the run orphaned at its next sweep (about a second).
      let claimed: string[] = [];
      for (let i = 0; i < 60 && claimed.length === 0; i++) {
        claimed = (await reopened.claimSchedules({ jobs: JOBS, limit: 10, now: clock.now() })).runs
          .filter((run) => run.runAt === T0)
          .map((run) => run.id);
        if (claimed.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(claimed).toEqual([a.id]);
    });

    test("prune deletes schedules done or cancelled before the retention", async () => {
      const { store } = scene();
      const [done, cancelled, open] = [spec({ nextRunAt: T0 }), spec(), spec()];
      await store.writeSchedules(
        [done, cancelled, open].map((put) => ({ put })),
        T0,
      );
      await claimIds(store, T0);
      await store.settleSchedules(
        [{ id: done.id, revision: 0, settlement: { status: "done" } }],
        T0,
      );
      await store.writeSchedules([{ cancel: cancelled.id }], T0);
      expect(await store.prune(60 * MINUTE, T0 + 61 * MINUTE)).toMatchObject({ schedules: 2 });
      expect((await store.listSchedules({ plugin: "p", limit: 10 })).map((s) => s.id)).toEqual([
        open.id,
      ]);
    });
  });
}
