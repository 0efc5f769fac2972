import type { Clock } from "../core/clock.ts";
import type { ScheduledJob, ScheduleStatus } from "../sdk/schedules.ts";
import { LIVE_STATUSES } from "../storage/schedules.ts";
import type { ScheduleRecord, Store } from "../storage/store.ts";
import { ownIdOf, toScheduleWrites } from "./requests.ts";
import type { PluginSchedules } from "./types.ts";

/** More than any plugin should keep live: the list is for inspection, not for bulk storage. */
const LIST_LIMIT = 1000;

/** A plugin's schedules as its own `ctx.schedules.list()` shows them. */
export function scheduledJob(record: ScheduleRecord): ScheduledJob {
  return {
    id: ownIdOf(record),
    job: record.job,
    data: record.payload === null ? undefined : JSON.parse(record.payload),
    status: record.status as ScheduleStatus,
    nextRunAt: record.nextRunAt,
    cron: record.cron,
    timeZone: record.timeZone,
    every: record.everyMs,
    attempts: record.attempts,
    lastError: record.lastError,
  };
}

/** Plugins' schedule calls outside a run, on the store, at the host's time. */
export function pluginSchedules(store: Store, clock: Clock): PluginSchedules {
  return {
    async write(plugin, requests) {
      const now = clock.now();
      const changed = await store.writeSchedules(toScheduleWrites(plugin, requests, now), now);
      return changed.map((id) => ownIdOf({ id, plugin }));
    },
    async list(plugin, job) {
      const records = await store.listSchedules({
        plugin,
        ...(job === undefined ? {} : { job }),
        statuses: LIVE_STATUSES,
        limit: LIST_LIMIT,
      });
      return records.map(scheduledJob);
    },
  };
}
