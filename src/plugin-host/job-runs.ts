import type { DeliveryOutcome } from "../dispatch/types.ts";
import type { JobRun } from "../schedules/types.ts";
import type { PluginVersion } from "./plugin-version.ts";
import type { PluginSupervisor } from "./supervisor.ts";

/**
 * Runs a job's run on the plugin's running version, as a delivery runs: it waits while the plugin
 * is paused or restarting (deferred), and is handed back when no loaded version has the job.
 * Runs do not count for the circuit breaker: a failing job must not pause the plugin's chats.
 */
export async function runJobOn(
  plugin: PluginSupervisor | undefined,
  run: JobRun,
  timeoutOf: (version: PluginVersion) => number,
): Promise<DeliveryOutcome> {
  if (!plugin) return { status: "gone", reason: "plugin is not loaded" };
  const acquired = await plugin.acquire({
    heedsPause: true,
    refuses: (version) =>
      version.manifest.jobs.some((job) => job.name === run.job)
        ? undefined
        : `plugin version ${version.version} has no job "${run.job}"`,
  });
  if ("unloaded" in acquired) return { status: "gone", reason: "plugin is not loaded (removed)" };
  if ("refused" in acquired) return { status: "gone", reason: acquired.refused };
  if ("until" in acquired) return { status: "deferred", ...acquired };
  return acquired.worker.runJob(run, timeoutOf(acquired.supervisor.version));
}
