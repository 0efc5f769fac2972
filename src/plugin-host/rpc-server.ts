import type { Message } from "../core/message.ts";
import type { DeliveryJob } from "../dispatch/types.ts";
import type { PluginSchedules } from "../schedules/types.ts";
import { isFileCall } from "./file-rpc.ts";
import type { HostToWorker, WorkerToHost } from "./protocol.ts";
import { isRichMenuCall, type RichMenuCalls } from "./rich-menu-rpc.ts";
import { answerScheduleCall, isScheduleCall } from "./schedule-rpc.ts";
import { isStateCall, type StateSession } from "./state-rpc.ts";
import type { WorkerSessions } from "./worker-sessions.ts";

/** What the host serves a worker besides its state. */
export interface HostServices {
  /** `ctx.push(to, …)` outside any event, by the plugin of this name. */
  pushOutsideEvent(
    plugin: string,
    to: string,
    messages: Message[],
    channel?: string,
  ): Promise<void>;
  /** The key that signs the named plugin's postback data. */
  postbackKey(plugin: string): Uint8Array;
  /** `ctx.schedule` and `ctx.schedules` outside a run, for the plugin of this name. */
  schedules: PluginSchedules;
  /**
   * Rich menus: a plugin's declaration checked, `ctx.richMenu` served. A host without them (one
   * built alone in a test) refuses both: a plugin that declares rich menus does not load there.
   */
  richMenus?: RichMenuCalls;
}

/** The host side of a run's `ctx.reply` and `ctx.push`: a delivery's, or a job run's. */
type RunSends = Pick<DeliveryJob, "reply" | "push">;

type RpcMessage = Extract<WorkerToHost, { type: "rpc" }>;

/**
 * Serves one call of the worker and posts its result. Plugin state is served from the first
 * message on (setup uses it); files, replies and pushes outside an event need the plugin's name,
 * known once its state is open; replies need the event's delivery.
 */
export async function answerRpc(
  worker: Worker,
  message: RpcMessage,
  sessions: WorkerSessions,
  options: HostServices,
  delivery: (id: number) => RunSends | undefined = () => undefined,
): Promise<void> {
  let result: Extract<HostToWorker, { type: "rpc-result" }>;
  try {
    const value = isFileCall(message)
      ? await sessions.files.call(message)
      : isScheduleCall(message)
        ? await answerScheduleCall(message, sessions.state.plugin, options.schedules)
        : isRichMenuCall(message)
          ? await sessions.richMenus.call(message, sessions.state.plugin, options.richMenus)
          : isStateCall(message)
            ? await sessions.state.call(message)
            : message.method === "postback.key"
              ? postbackKeyOf(sessions.state, options)
              : await sendMessages(message, sessions.state, options, delivery);
    result = { type: "rpc-result", id: message.id, ...(value === undefined ? {} : { value }) };
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    result = { type: "rpc-result", id: message.id, error: error.message, errorName: error.name };
  }
  try {
    worker.postMessage(result satisfies HostToWorker);
  } catch {
    // Terminated meanwhile: nobody is waiting for the answer.
  }
}

/**
 * Only for the plugin the worker opened its state as, which the host then holds it to: its
 * manifest must name the same plugin. The key signs that plugin's postbacks and nothing else.
 */
function postbackKeyOf(state: StateSession, options: HostServices): Uint8Array {
  if (state.plugin === undefined) throw new Error("the plugin has not opened its state yet");
  return options.postbackKey(state.plugin);
}

async function sendMessages(
  message: Extract<RpcMessage, { method: "reply" | "push" }>,
  state: StateSession,
  options: HostServices,
  delivery: (id: number) => RunSends | undefined,
): Promise<void> {
  if (message.deliveryId === undefined) {
    if (!message.to) throw new Error("push outside an event needs a recipient");
    if (state.plugin === undefined) throw new Error("the plugin has not opened its state yet");
    return options.pushOutsideEvent(state.plugin, message.to, message.messages, message.channel);
  }
  const job = delivery(message.deliveryId);
  if (!job) throw new Error("the event's handler has already finished or timed out");
  if (message.method === "reply") return job.reply(message.messages);
  return job.push(message.messages, message.to, message.channel);
}
