/**
 * The messages between the host and a plugin's worker. What the host sends is the host's own;
 * what comes back is checked against `workerToHostSchema` before the host acts on it, since plugin
 * code shares the worker and can post anything (see worker-messages.ts).
 */
import { z } from "zod";
import type { RetryPolicy } from "../config/options.ts";
import type { UnknownEvent, WebhookEvent } from "../core/events.ts";
import type { Message } from "../core/message.ts";
import { MAX_SESSION_TEXT, type StoredSessions } from "../core/sessions.ts";
import { PLUGIN_API_METHODS } from "../line/plugin-api.ts";
import { declaredRichMenusSchema } from "../rich-menus/declared.ts";
import { jobName, scheduleRequestsSchema } from "../schedules/requests.ts";
import type { ChatRef } from "../sdk/context.ts";
import type { Role } from "../sdk/routing.ts";
import { CHUNK_BYTES, isDigest } from "../storage/plugin-files.ts";
import type { Dialect } from "../storage/plugin-state.ts";
import { pluginManifestSchema } from "./manifest.ts";

/** What a plugin worker needs to serve one plugin version. */
export interface WorkerEnv {
  dataDir: string;
  /** LINE's Messaging API and data API as the worker reaches them: through the host's proxy. */
  apiBaseUrl: string;
  dataApiBaseUrl: string;
  /** The worker's bearer at that proxy (line/proxy.ts); the channel's token stays in the host. */
  lineCapability: string;
  publicUrl: string;
  /** The host's retry policy for LINE API calls, so plugins retry the same way. */
  retry: RetryPolicy;
}

/** What the worker needs to know of plugin state before it imports the plugin. */
export interface WorkerState {
  /** Plugin tables are built for this dialect (see `sdk/dialect.ts`). */
  dialect: Dialect;
  /** A transaction's bound: the worker rejects `ctx.transaction` when it passes. */
  transactionTimeoutMs: number;
  /**
   * Where `ctx.files` keeps files: `local`, the worker itself in `DATA_DIR` (SQLite); `store`,
   * through the host in the store, chunk by chunk (PostgreSQL, see `file-rpc.ts`).
   */
  files: "local" | "store";
}

export interface SerializedRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: Uint8Array<ArrayBuffer> | null;
}

export type HostToWorker =
  | {
      type: "load";
      moduleUrl: string;
      settings: Record<string, unknown>;
      env: WorkerEnv;
      state: WorkerState;
      now: number;
      /** The host's clock only moves when told (tests): use its readings exactly. */
      clockFrozen: boolean;
    }
  | {
      type: "deliver";
      id: number;
      eventId: string;
      event: WebhookEvent | UnknownEvent;
      known: boolean;
      /** The LINE channel the event came to. */
      channel: string;
      destination: string | undefined;
      chat: ChatRef | undefined;
      attempt: number;
      /** Why the plugin gets it: which of its handlers run (the host's routing decision). */
      role: Role;
      /** Per session scope the event has a key for: the stored JSON, or null for none. */
      sessions: StoredSessions;
      now: number;
    }
  | { type: "abort"; id: number; reason: string }
  | { type: "http"; id: number; request: SerializedRequest; now: number }
  | {
      type: "rpc-result";
      id: number;
      value?: unknown;
      error?: string;
      /** The error's name, for errors a plugin may tell apart (`PluginStateError`). */
      errorName?: string;
    }
  | {
      type: "run-job";
      id: number;
      job: string;
      /** The plugin's own id of the schedule. */
      scheduleId: string;
      /** The run, as its retry keys derive from it (`<schedule>@<revision>/<run time>`). */
      run: string;
      /** The job's data as JSON text; null for none. */
      data: string | null;
      scheduledAt: number;
      attempt: number;
      now: number;
    }
  | { type: "ping"; id: number }
  | { type: "teardown" };

/**
 * The most text one message from a worker may carry (binary bodies aside). The worker's own code
 * sends far less (its logger clips what it is given); past this, plugin code posted it itself.
 */
export const MAX_MESSAGE_TEXT = 4 << 20;
/** A log line's text, or an error's, as the host writes or stores it. */
export const MAX_TEXT = 16 << 10;
/** A log line's fields, counted as `textSize` counts. */
export const MAX_LOG_FIELDS = 64 << 10;

/** Text longer than `max` is cut to `max`, saying how much was left out; clipping again keeps it. */
export function clipText(text: string, max = MAX_TEXT): string {
  if (text.length <= max) return text;
  const kept = Math.max(0, max - 40);
  return `${text.slice(0, kept)}… (${text.length - kept} more characters)`;
}

/**
 * About how much text a structured-cloned value holds: its strings and keys, and a little for
 * everything else; byte arrays are not text and count for nothing. Counting stops just past
 * `limit`, so a huge value costs no more than a small one over the limit.
 */
export function textSize(value: unknown, limit: number): number {
  let size = 0;
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0 && size <= limit) {
    const item = stack.pop();
    if (typeof item === "string") {
      size += item.length;
      continue;
    }
    size += 8;
    if (typeof item !== "object" || item === null || seen.has(item)) continue;
    if (ArrayBuffer.isView(item) || item instanceof ArrayBuffer) continue;
    seen.add(item);
    if (item instanceof Map) for (const entry of item) stack.push(entry);
    else if (item instanceof Set) for (const entry of item) stack.push(entry);
    else
      for (const [key, entry] of Object.entries(item)) {
        size += key.length;
        stack.push(entry);
      }
  }
  return size;
}

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Log fields that would make too long a line are left out, saying so. */
export function boundLogFields(fields: Record<string, unknown>): Record<string, unknown> {
  const size = textSize(fields, MAX_LOG_FIELDS);
  return size <= MAX_LOG_FIELDS
    ? fields
    : { fieldsOmitted: `over ${MAX_LOG_FIELDS} characters of log fields` };
}

/**
 * What a plugin's LINE calls are counted under: the methods of its clients (`ctx.api` and its
 * members), `content` and `profile`. Anything else a worker reports is `other`, so metric labels
 * stay few whatever it posts.
 */
const PLUGIN_ENDPOINTS: ReadonlySet<string> = new Set([
  ...PLUGIN_API_METHODS,
  "content",
  "profile",
]);

const id = z.number().int().nonnegative();
/** An error or a log line: any length is the plugin's to send, the host keeps the first part. */
const text = z.string().transform((value) => clipText(value));

/** A message for LINE: its shape is LINE's to check; the host needs it to be an object. */
const message = z.custom<Message>(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    typeof (value as { type?: unknown }).type === "string",
  "must be a message object with a type",
);

/** A header as `Headers` takes it: a token for the name, no line breaks or NUL in the value. */
const header = z.tuple([
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a header name"),
  z.string().regex(/^[^\r\n\0]*$/, "must be a header value"),
]);

const serializedResponseSchema = z.strictObject({
  status: z.number().int().min(200).max(599),
  headers: z.array(header),
  body: z.custom<Uint8Array<ArrayBuffer>>((value) => value instanceof Uint8Array, "must be bytes"),
});

export type SerializedResponse = z.infer<typeof serializedResponseSchema>;

const transaction = id.optional();
const key = z.string().max(4096);
const sqlText = z.string().max(1_000_000);
const tableSpec = z.strictObject({
  name: z.string().max(256),
  create: sqlText,
  columns: z.array(z.strictObject({ name: z.string().max(256), add: sqlText.optional() })),
  indexes: z.array(z.strictObject({ name: z.string().max(256), create: sqlText })),
});
const digest = z.string().refine(isDigest, "must be a lower-case hex SHA-256 digest");
/** A chunk of a put(): at most one row's worth, so neither side ever holds more of a file. */
const chunk = z.custom<Uint8Array>(
  (value) => value instanceof Uint8Array && value.byteLength > 0 && value.byteLength <= CHUNK_BYTES,
  `must be 1 to ${CHUNK_BYTES} bytes`,
);
const sessionChange = z.strictObject({
  value: z.string().max(MAX_SESSION_TEXT).nullable(),
  expiresAt: z.number().int().nonnegative().nullable(),
});
const userProfile = z.strictObject({
  displayName: z.string().max(1000),
  pictureUrl: z.string().max(2000).nullable(),
  statusMessage: z.string().max(2000).nullable(),
  language: z.string().max(64).nullable(),
});

/** Another channel's event's channel: its own key-value store, its own rich menus. */
const eventChannel = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)
  .optional();
const kvCall = { id, transaction, channel: eventChannel };

/**
 * The calls a plugin makes into the host: replies and pushes, and every access to its state,
 * which the host runs on the store's plugin state (see `state-rpc.ts`). Each gets one
 * `rpc-result`, whose `value` is the method's result.
 */
const rpcSchema = z.discriminatedUnion("method", [
  /** → nothing */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.enum(["reply", "push"]),
    deliveryId: id.optional(),
    messages: z.array(message),
    to: z.string().max(256).optional(),
    /** Push with another channel than the event's (or than the default, outside an event). */
    channel: z.string().max(64).optional(),
  }),
  /**
   * The key that signs the plugin's postback data, derived by the host for the plugin the worker
   * opened its state as. → bytes
   */
  z.strictObject({ type: z.literal("rpc"), id, method: z.literal("postback.key") }),
  /** First, while loading: binds the worker to its plugin and brings its tables up to date. */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("state.open"),
    plugin: z.string().max(64),
    schema: z.strictObject({
      tables: z.array(tableSpec),
      migrations: z.array(z.strictObject({ id: z.string().max(256), sql: sqlText.optional() })),
      renames: z.record(z.string().max(256), z.string().max(256)),
    }),
  }),
  /** One statement, in a transaction (its id from `db.begin`) or on its own. → rows */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("db.query"),
    query: z.strictObject({
      sql: sqlText,
      params: z.array(z.unknown()),
      rows: z.enum(["arrays", "objects", "none"]),
    }),
    transaction,
  }),
  /** → the transaction's id */
  z.strictObject({ type: z.literal("rpc"), id, method: z.literal("db.begin") }),
  /** → nothing; fails when the transaction has ended (its bound passed) */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.enum(["db.commit", "db.rollback"]),
    transaction: id,
  }),
  z.strictObject({ type: z.literal("rpc"), method: z.literal("kv.get"), key, ...kvCall }),
  /** `value` is JSON data (checked by the worker). → nothing */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("kv.set"),
    key,
    value: z.unknown(),
    ttlMs: z.number().nonnegative().optional(),
    transaction,
    channel: eventChannel,
  }),
  z.strictObject({ type: z.literal("rpc"), method: z.literal("kv.delete"), key, ...kvCall }),
  z.strictObject({ type: z.literal("rpc"), method: z.literal("kv.list"), prefix: key, ...kvCall }),
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("users.get"),
    userId: z.string().max(256),
  }),
  /** Caches a profile the plugin fetched in the shared `users` table. → nothing */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("users.saveProfile"),
    userId: z.string().max(256),
    profile: userProfile,
  }),
  /**
   * `ctx.files` in the store, always the worker's own plugin's: a put() is `files.begin` (→ the
   * upload's id), `files.write` for each chunk in order (all but the last exactly `CHUNK_BYTES`),
   * then `files.commit` (→ `{ sha256, size }`) or `files.abort`.
   */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("files.begin"),
    maxBytes: z.number().nonnegative().optional(),
  }),
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("files.write"),
    upload: id,
    bytes: chunk,
  }),
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.enum(["files.commit", "files.abort"]),
    upload: id,
  }),
  /** → the size, or nothing when there is no such file */
  z.strictObject({ type: z.literal("rpc"), id, method: z.literal("files.size"), sha256: digest }),
  /** → chunk `index` of the file, or nothing (no such file: deleted while it was read) */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("files.read"),
    sha256: digest,
    index: id,
  }),
  /** → whether there was such a file */
  z.strictObject({ type: z.literal("rpc"), id, method: z.literal("files.delete"), sha256: digest }),
  /** Schedules made or cancelled outside a run (setup, routes), saved at once. → their ids */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("schedules.write"),
    writes: scheduleRequestsSchema,
  }),
  /** → the plugin's schedules that may still run (`ScheduledJob[]`) */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("schedules.list"),
    job: jobName.optional(),
  }),
  /**
   * Once, while loading: the plugin's rich menus, which the host checks (the load fails on what
   * LINE would refuse) and syncs with LINE before the version serves. → nothing
   */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("richMenus.declare"),
    menus: declaredRichMenusSchema,
  }),
  /** `ctx.richMenu.link`. → nothing */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("richMenu.link"),
    userId: z.string().max(256),
    name: z.string().max(256),
    channel: eventChannel,
  }),
  /** `ctx.richMenu.unlink`. → whether the user's menu was the plugin's */
  z.strictObject({
    type: z.literal("rpc"),
    id,
    method: z.literal("richMenu.unlink"),
    userId: z.string().max(256),
    channel: eventChannel,
  }),
]);

type RpcMessage = z.infer<typeof rpcSchema>;
/** A call into the host, as the worker makes it (without the envelope). */
export type RpcCall = RpcMessage extends infer M
  ? M extends { type: "rpc"; id: number }
    ? Omit<M, "type" | "id">
    : never
  : never;

/** Everything a worker may send the host, and nothing else. */
export const workerToHostSchema = z.discriminatedUnion("type", [
  /** The worker's listeners are attached: messages sent before this could be lost. */
  z.strictObject({ type: z.literal("booted") }),
  z.strictObject({ type: z.literal("loaded"), manifest: pluginManifestSchema }),
  z.strictObject({ type: z.literal("load-failed"), error: text }),
  /**
   * A delivery or a job's run ended; what it changed of its sessions and what it scheduled and
   * cancelled are saved with its settlement, and only when it succeeded.
   */
  z.strictObject({
    type: z.literal("delivered"),
    id,
    error: text.optional(),
    sessions: z.partialRecord(z.enum(["chat", "user", "dialog"]), sessionChange).optional(),
    schedules: scheduleRequestsSchema.optional(),
  }),
  rpcSchema,
  z.strictObject({
    type: z.literal("log"),
    level: z.enum(LOG_LEVELS),
    message: text,
    fields: z.record(z.string(), z.unknown()).transform(boundLogFields).optional(),
  }),
  /** One LINE API attempt by the plugin's own client (ctx.api, content, profile): for metrics. */
  z.strictObject({
    type: z.literal("api-call"),
    endpoint: z
      .string()
      .max(100)
      .transform((name) => (PLUGIN_ENDPOINTS.has(name) ? name : "other")),
    status: z.string().regex(/^(?:\d{3}|2xx|network)$/),
  }),
  z.strictObject({ type: z.literal("http-response"), id, response: serializedResponseSchema }),
  /** `timers`: the worker's timeouts and intervals still pending (one due keeps it from parking). */
  z.strictObject({ type: z.literal("pong"), id, timers: z.number().int().min(0).optional() }),
  z.strictObject({ type: z.literal("torn-down"), error: text.optional() }),
]);

export type WorkerToHost = z.infer<typeof workerToHostSchema>;
