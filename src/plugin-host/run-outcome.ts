import type { DeliveryOutcome } from "../dispatch/types.ts";
import { toScheduleWrites } from "../schedules/requests.ts";
import type { WorkerToHost } from "./protocol.ts";

/** What a worker's answer says of a run; what the run scheduled is timed by the host's clock. */
export function runOutcome(
  plugin: string,
  message: Extract<WorkerToHost, { type: "delivered" }>,
  now: number,
): DeliveryOutcome {
  const { error, sessions, schedules } = message;
  if (error !== undefined) return { status: "failed", error };
  return {
    status: "ok",
    ...(sessions ? { sessions } : {}),
    ...(schedules ? { schedules: toScheduleWrites(plugin, schedules, now) } : {}),
  };
}
