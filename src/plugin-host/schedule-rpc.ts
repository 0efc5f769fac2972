import type { PluginSchedules } from "../schedules/types.ts";
import type { WorkerToHost } from "./protocol.ts";

type ScheduleCall = Extract<
  WorkerToHost,
  { type: "rpc"; method: "schedules.write" | "schedules.list" }
>;

export function isScheduleCall(message: { method: string }): message is ScheduleCall {
  return message.method === "schedules.write" || message.method === "schedules.list";
}

/** Always the schedules of the plugin the worker opened its state as. */
export function answerScheduleCall(
  message: ScheduleCall,
  plugin: string | undefined,
  schedules: PluginSchedules,
): Promise<unknown> {
  if (plugin === undefined) throw new Error("the plugin has not opened its state yet");
  if (message.method === "schedules.list") return schedules.list(plugin, message.job);
  return schedules.write(plugin, message.writes);
}
