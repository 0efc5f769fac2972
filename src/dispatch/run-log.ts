/** What one run of a delivery leaves behind besides its settlement: a log line and a metric. */
import type { Logger } from "../logging/logger.ts";
import type { Settlement } from "../storage/store.ts";
import type { DeliveryOutcome } from "./types.ts";

/**
 * One per run: `retried` failed and will run again, `timed_out` missed its deadline and will run
 * again, `dead` failed for the last time (whatever the failure), `dropped` was removed (plugin
 * gone or no longer subscribed), `deferred` did not run (plugin paused).
 */
export type DeliveryMetric = "ok" | "retried" | "timed_out" | "dead" | "dropped" | "deferred";

export type RunOutcome = Exclude<DeliveryOutcome, { status: "deferred" }>;

export interface RunReport {
  plugin: string;
  settlement: Settlement;
  final: RunOutcome;
  attempt: number;
  durationMs: number;
  handlerMs: number;
  /** The run's logger, made only when a line is written (see below). */
  log: () => Logger;
}

export function logRun(
  hostLog: Logger,
  run: RunReport,
  onDelivery?: (plugin: string, metric: DeliveryMetric, durationMs: number | undefined) => void,
): void {
  const { plugin, settlement, final, attempt, durationMs, handlerMs, log } = run;
  const outcome = settlement.status === "done" ? "ok" : settlement.status;
  const fields = {
    outcome,
    attempt,
    durationMs,
    ...("error" in settlement ? { error: settlement.error } : {}),
  };
  // Made only when a line is written: a child logger costs more than the rest of a quiet run.
  if (settlement.status === "done") {
    if (hostLog.isLevelEnabled("info")) log().info(fields, "delivery");
  } else if (settlement.status === "dead") log().error(fields, "delivery dead-lettered");
  else log().warn(fields, "delivery");
  const timedOut = final.status === "failed" && final.timedOut === true;
  onDelivery?.(
    plugin,
    metricOf(settlement, timedOut),
    outcome === "dropped" ? undefined : handlerMs,
  );
}

function metricOf(settlement: Settlement, timedOut: boolean): DeliveryMetric {
  switch (settlement.status) {
    case "done":
      return "ok";
    case "retry":
      return timedOut ? "timed_out" : "retried";
    default:
      return settlement.status;
  }
}
