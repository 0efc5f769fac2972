import type { ParsedEvent } from "../core/events.ts";
import type { Message } from "../core/message.ts";
import type { SessionChanges, SessionScope, StoredSessions } from "../core/sessions.ts";
import type { ChatRef } from "../core/sources.ts";
import type { ScheduleWrite } from "../storage/store.ts";

/** One plugin's share of one event, as the dispatcher hands it to the plugin host. */
export interface DeliveryJob {
  eventId: string;
  parsed: ParsedEvent;
  destination: string | undefined;
  chat: ChatRef | undefined;
  attempt: number;
  /** The plugin's sessions, read before the run (empty when it keeps none). */
  sessions: StoredSessions;
  /** The host side of `ctx.reply`: joins the event's reply batch, or pushes when it has left. */
  reply(messages: Message[]): Promise<void>;
  /** The host side of `ctx.push`; `channel`: another channel the plugin named. */
  push(messages: Message[], to?: string, channel?: string): Promise<void>;
}

export type DeliveryOutcome =
  /** `sessions`, `schedules`: what the run changed, saved with its settlement. */
  | { status: "ok"; sessions?: SessionChanges; schedules?: ScheduleWrite[] }
  /** `permanent`: no retry can succeed (a message LINE would refuse); dead-lettered at once. */
  | { status: "failed"; error: string; timedOut?: boolean; permanent?: boolean }
  /** Not run now (plugin paused or reloading); try again at `until` without counting an attempt. */
  | { status: "deferred"; until: number; reason: string }
  /** The plugin is gone or no longer subscribed: the delivery is dropped, with the reason recorded. */
  | { status: "gone"; reason: string };

/**
 * An error no retry can fix, such as the line layer's InvalidMessageError: it says so with
 * `permanent: true`, and the delivery it fails is dead-lettered at once.
 */
export function isPermanent(error: unknown): boolean {
  return error instanceof Error && (error as { permanent?: unknown }).permanent === true;
}

/** What changed about a plugin that concerns its waiting deliveries. */
export type PluginChange =
  /** Gone (file removed, renamed): its waiting deliveries are dropped. */
  | { type: "removed"; plugin: string; reason: string }
  /** Deliverable again (loaded, resumed, restarted): deferred deliveries may go now. */
  | { type: "available"; plugin: string };

/** What the dispatcher needs from the plugin host. */
export interface PluginGateway {
  /** Listens to plugin changes; returns the unsubscribe function. */
  onChange(listener: (change: PluginChange) => void): () => void;
  /** Names of the plugins loaded here: only their deliveries are claimed. */
  loaded(): ReadonlySet<string>;
  /**
   * The plugin is not loaded and will not be without a new file: no plugin file is failing to
   * load (which might be it, broken). Its waiting deliveries can be dropped.
   */
  isGone(plugin: string): boolean;
  /**
   * Names of the plugins that get this event (their subscriptions, commands, postback routes and
   * fallbacks); `destination` is the bot's user id, which tells its mentions; `dialogs`, the
   * plugins the sender has a dialog open with in the chat.
   */
  route(parsed: ParsedEvent, destination?: string, dialogs?: ReadonlySet<string>): string[];
  /** The session scopes the plugin keeps: read before each of its deliveries. */
  sessionScopes?(plugin: string): readonly SessionScope[];
  /** The plugins that declare dialogs: at ingest, an open one takes its sender's next text. */
  dialogPlugins?(): readonly string[];
  /** Orders an event's merged reply: higher first (default: all equal, first come first). */
  priorityOf?(plugin: string): number;
  /** Runs one plugin's handlers for one event. Never rejects. */
  deliver(plugin: string, job: DeliveryJob): Promise<DeliveryOutcome>;
}
