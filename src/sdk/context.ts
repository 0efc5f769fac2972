import type { messagingApi } from "@line/bot-sdk";
import type { z } from "zod";
import type { Message } from "../core/message.ts";
import type { ChatRef } from "../core/sources.ts";
import type { LineApi, LineSubClients } from "../line/plugin-api.ts";
import type { KeyValueStore } from "../storage/plugin-state.ts";
import type { SharedUser } from "../storage/store.ts";
import type {
  CommandSpec,
  DatetimePickerOptions,
  PostbackOptions,
  PostbackSchemas,
} from "./command-types.ts";
import type { PluginDatabase, PluginTransaction } from "./database.ts";
import type { EventFor } from "./filter.ts";
import type { RichMenuControl } from "./rich-menus.ts";
import type { ScheduleOptions, Schedules } from "./schedules.ts";
import type { SessionSchemas, Sessions } from "./session.ts";

export type {
  ChatRef,
  KeyValueStore,
  LineApi,
  LineSubClients,
  Message,
  PluginDatabase,
  PluginTransaction,
  SharedUser,
};
/** A string is shorthand for a text message. */
export type MessageInput = Message | string;

/** One logging call, in pino's order: fields first, when there are any. */
export interface LogMethod {
  (message: string): void;
  (fields: Record<string, unknown>, message: string): void;
}

/** The plugin's logger: its lines go to the host's log with the plugin's name (and the event's). */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** A LINE channel as a plugin sees it. */
export interface ChannelInfo {
  /** "default", or the channel's name in the config file. */
  readonly name: string;
  /** The bot's user id in that channel (the webhook's `destination`). */
  readonly botUserId: string | undefined;
}

/** Where a push goes: a user, group or room id (`U…`, `C…`, `R…`), or a chat. */
export type Recipient = string | ChatRef;

export type ContentResult =
  | { status: "ready"; body: ReadableStream<Uint8Array>; contentType: string; size?: number }
  /** LINE answered 202: the content is not ready yet (video, audio). */
  | { status: "processing" }
  /** LINE answered 404 or 410: it no longer has the content (expired, or unsent). */
  | { status: "gone"; httpStatus: number };

export interface StoredFile {
  /** Lower-case hex SHA-256 of the content: the file's only name. */
  sha256: string;
  size: number;
}

/**
 * Content-addressed file storage, private to the plugin: a file is named by its SHA-256, and
 * identical bytes are stored once. Where it lives follows the store: on SQLite, in the data
 * directory (`DATA_DIR/files/<plugin>/`); on PostgreSQL, in the database, in chunks of 256 KiB
 * passed through the host, so that every instance of the bot reads what any of them stored.
 * Streams in and out on both: a file is never held in memory whole, and a put() that fails or is
 * abandoned leaves nothing visible.
 */
export interface FileStore {
  /** Stores the stream; rejects (and keeps nothing) when it exceeds `maxBytes`. */
  put(stream: ReadableStream<Uint8Array>, options?: { maxBytes?: number }): Promise<StoredFile>;
  has(sha256: string): Promise<boolean>;
  size(sha256: string): Promise<number | undefined>;
  get(sha256: string): Promise<ReadableStream<Uint8Array> | undefined>;
  delete(sha256: string): Promise<boolean>;
}

export type TranscodingStatus = "processing" | "succeeded" | "failed";

export type RouteHandler = (request: Request) => Response | Promise<Response>;
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What setup, tasks, routes and event handlers all have. Released when the version unloads. */
export interface BaseContext<Settings, P extends PostbackSchemas = PostbackSchemas> {
  readonly name: string;
  readonly settings: Settings;
  readonly log: Logger;
  /**
   * The official SDK's Messaging API client, with its other clients as members (`api.blob`,
   * `api.liff`, `api.insight`, `api.audience`, `api.audienceBlob`, `api.module`, `api.shop`),
   * through the host (the channel's token never reaches the plugin). Calls are retried on 429
   * and 5xx. A push, multicast, narrowcast or broadcast without a retry key gets one: in a
   * handler the n-th such call of the delivery has the same key on every retry, elsewhere each
   * call has its own; a 409 (LINE accepted the key before) resolves as sent.
   */
  readonly api: LineApi;
  readonly kv: KeyValueStore;
  /**
   * The plugin's tables (declared in `tables` with `table()` from "hotline/db", created and
   * migrated at load) and, read-only, the host's `users` and `chats`; queries are awaited. Each
   * statement is its own transaction: use `transaction` for several that must hold together.
   */
  readonly db: PluginDatabase;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. Query
   * through `tx` (and `tx.kv`) inside it, not `ctx.db`. A transaction is bounded in time (10 s by
   * default): past it, it is rolled back and this rejects. Keep it short: on SQLite, other
   * plugins' writes wait for it.
   */
  transaction<T>(work: (tx: PluginTransaction) => Promise<T>): Promise<T>;
  readonly files: FileStore;
  /** The host's clock (controllable in tests); use it instead of Date.now(). */
  now(): number;
  /** Downloads message content from LINE's data API as a stream. */
  content(messageId: string): Promise<ContentResult>;
  /**
   * Whether LINE has finished preparing a video or audio message's content ("gone" when LINE no
   * longer has it). LINE answers 400 for other message types: ask only for video and audio.
   */
  transcoding(messageId: string): Promise<TranscodingStatus | "gone">;
  /** Reads the shared `users` table. */
  user(userId: string): Promise<SharedUser | undefined>;
  /**
   * The user's LINE profile, fetched once and cached in the shared `users` table (refreshed after
   * a day). In a group or room, pass the chat: LINE only gives member profiles there.
   */
  profile(userId: string, chat?: ChatRef): Promise<SharedUser>;
  /** The plugin's declared `richMenus`, shown to and taken from users. */
  readonly richMenu: RichMenuControl;
  /** Where this bot is reachable from outside (PUBLIC_URL), for links to the plugin's routes. */
  readonly publicUrl: string;
  /**
   * A postback action for one of the plugin's `postbacks` routes: tapped, it sends `data` back
   * to that route's handler, and to no other plugin. The data is checked against the route's
   * schema and signed; it must fit LINE's 300 characters (carry an id, not the record).
   */
  postback<R extends keyof P & string>(
    route: R,
    data: z.input<P[R]>,
    options: PostbackOptions,
  ): messagingApi.PostbackAction;
  /** Like `postback`, as a date/time picker: the route's handler finds the choice in `event.postback.params`. */
  datetimePicker<R extends keyof P & string>(
    route: R,
    data: z.input<P[R]>,
    options: DatetimePickerOptions,
  ): messagingApi.DatetimePickerAction;
  /**
   * Schedules one of the plugin's `jobs` (once, or on a cron expression); resolves with the
   * schedule's id. Inside an event handler or a job it is saved when the run succeeds, with its
   * settlement; elsewhere at once. Throws when the plugin declares no such job.
   */
  schedule(job: string, options: ScheduleOptions): Promise<string>;
  readonly schedules: Schedules;
}

/** What `setup`, `teardown`, routes and tasks get: the plugin version's lifetime. */
export interface PluginContext<Settings, P extends PostbackSchemas = PostbackSchemas>
  extends BaseContext<Settings, P> {
  /** Aborted when this plugin version is unloaded. */
  readonly signal: AbortSignal;
  /**
   * Pushes to a chat (there is no event to answer here), retried safely with a retry key; with the
   * default channel's token, or `channel`'s.
   */
  push(
    messages: MessageInput | MessageInput[],
    options: { to: Recipient; channel?: string },
  ): Promise<void>;
  /** Serves `/plugins/<name><path>`; released on unload. Register in `setup`. */
  route(method: HttpMethod, path: string, handler: RouteHandler): void;
  /**
   * Adds a command, as one in `commands` (for commands that come from the settings); released on
   * unload. Register in `setup`.
   */
  command<A = undefined>(
    name: string,
    spec: CommandSpec<A, EventContext<Settings, P>, EventFor<"message:text">>,
  ): void;
}

/** Per event: the base context, plus the event's chat, reply, deadline and sessions. */
export interface EventContext<
  Settings,
  P extends PostbackSchemas = PostbackSchemas,
  X extends SessionSchemas = SessionSchemas,
> extends BaseContext<Settings, P> {
  readonly eventId: string;
  /**
   * The LINE channel the event came to: its name in the config file ("default": the one of
   * LINE_CHANNEL_SECRET), and the bot's user id there. Replies and pushes go with its token.
   */
  readonly channel: ChannelInfo;
  /** The bot's own user id (the webhook's `destination`). */
  readonly destination: string | undefined;
  readonly chat: ChatRef | undefined;
  /** 1 on the first try, higher on retries. */
  readonly attempt: number;
  /** Aborted at the handler's deadline or when the plugin unloads. */
  readonly signal: AbortSignal;
  /**
   * Replies to the event. Replies of all plugins to one event are merged into one reply call;
   * anything that cannot go as a reply (over 5 messages, late, token expired) is pushed instead.
   * Ignored, with a warning, for standby events, which must never be answered.
   */
  reply(...messages: MessageInput[]): Promise<void>;
  /**
   * Pushes to the event's chat, or to `to`, with a retry key stable for this event and plugin:
   * a retried delivery never sends the same push twice. Through the event's channel, or another
   * one named by `channel` (then `to` is needed: a user id is per channel).
   */
  push(
    messages: MessageInput | MessageInput[],
    options?: { to?: Recipient; channel?: string },
  ): Promise<void>;
  /**
   * The chat's and the sender's state (see the plugin's `session`). Reading a scope the event has
   * no key for (no sender, no chat) throws.
   */
  readonly session: Sessions<X>;
  /**
   * Starts one of the plugin's `dialogs` with the sender in this chat: replies with its first
   * question (the answers given skip theirs); the chat's next texts from the sender are its
   * answers. One the sender had open with this plugin is replaced.
   */
  dialog(name: string, answers?: Record<string, unknown>): Promise<void>;
}

/** Per run of a job: the base context, plus the run and its pushes. */
export interface JobContext<Settings, P extends PostbackSchemas = PostbackSchemas>
  extends BaseContext<Settings, P> {
  readonly job: string;
  /** The schedule's id: the plugin's own, or `@<job>` for a declared recurring job. */
  readonly scheduleId: string;
  /** When this run was due (ms since the epoch); a retry of it keeps the time. */
  readonly scheduledAt: number;
  /** 1 on the first try, higher on retries. */
  readonly attempt: number;
  /** Aborted at the job's deadline (the plugin's `timeoutMs`) or when the plugin unloads. */
  readonly signal: AbortSignal;
  /**
   * Pushes with a retry key of this run: a retried run never sends the same push twice. With the
   * default channel's token, or `channel`'s.
   */
  push(
    messages: MessageInput | MessageInput[],
    options: { to: Recipient; channel?: string },
  ): Promise<void>;
}
