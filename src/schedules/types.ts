/** What the scheduler needs from the plugin host, as the dispatcher's `PluginGateway` is for events. */
import type { Message } from "../core/message.ts";
import type { DeliveryOutcome, PluginChange } from "../dispatch/types.ts";
import type { ScheduledJob } from "../sdk/schedules.ts";
import type { JobDeclaration, ScheduleRequest } from "./requests.ts";

/** One run of a job, as the plugin host hands it to the plugin's worker. */
export interface JobRun {
  plugin: string;
  job: string;
  /** The plugin's own id of the schedule. */
  scheduleId: string;
  /** The run, as its pushes' retry keys derive from it: the same for every attempt of it. */
  run: string;
  /** The job's data as JSON text; null for none. */
  data: string | null;
  /** The run's scheduled time (a retry keeps it). */
  scheduledAt: number;
  attempt: number;
  /** The host side of the run's `ctx.push`: its retry keys come from the schedule and the run. */
  push(messages: Message[], to?: string): Promise<void>;
}

export interface JobGateway {
  /** Listens to plugin changes; returns the unsubscribe function. */
  onChange(listener: (change: PluginChange) => void): () => void;
  /** Per plugin loaded here, the jobs its version declares: only their runs are claimed. */
  jobs(): ReadonlyMap<string, ReadonlySet<string>>;
  /** The jobs the loaded version of a plugin declares, with their timing; none when not loaded. */
  declarations(plugin: string): readonly JobDeclaration[];
  /** Runs one run in the plugin's worker. Never rejects; `ok` carries what the run scheduled. */
  runJob(run: JobRun): Promise<DeliveryOutcome>;
}

/** What a plugin's worker does with its schedules outside a run (setup, routes), by the host. */
export interface PluginSchedules {
  /** Saved at once; resolves with the plugin's own ids of the schedules changed. */
  write(plugin: string, requests: readonly ScheduleRequest[]): Promise<string[]>;
  /** The plugin's schedules that may still run. */
  list(plugin: string, job: string | undefined): Promise<ScheduledJob[]>;
}
