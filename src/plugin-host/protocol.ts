import type { RetryPolicy } from "../config/options.ts";
import type { UnknownEvent, WebhookEvent } from "../core/events.ts";
import type { Message } from "../core/message.ts";
import type { ChatRef } from "../sdk/context.ts";
import type { Dialect, PluginSchema, StateQuery } from "../storage/plugin-state.ts";
import type { UserProfile } from "../storage/store.ts";
import type { PluginManifest } from "./manifest.ts";

/** What a plugin worker needs to serve one plugin version. */
export interface WorkerEnv {
  dataDir: string;
  apiBaseUrl: string;
  dataApiBaseUrl: string;
  channelAccessToken: string;
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
}

/**
 * The calls a plugin makes into the host: replies and pushes, and every access to its state,
 * which the host runs on the store's plugin state (see `state-rpc.ts`). Each gets one
 * `rpc-result`, whose `value` is the method's result.
 */
export type RpcCall =
  /** → nothing */
  | { method: "reply" | "push"; deliveryId: number | undefined; messages: Message[]; to?: string }
  /**
   * First, while loading: binds the worker to the plugin `plugin` and brings its tables up to
   * date (`schema`, in the dialect of `WorkerState`). → nothing
   */
  | { method: "state.open"; plugin: string; schema: PluginSchema }
  /** One statement, in a transaction (its id from `db.begin`) or on its own. → rows */
  | { method: "db.query"; query: StateQuery; transaction?: number }
  /** → the transaction's id */
  | { method: "db.begin" }
  /** → nothing; fails when the transaction has ended (its bound passed) */
  | { method: "db.commit" | "db.rollback"; transaction: number }
  /** → the value, or undefined */
  | { method: "kv.get"; key: string; transaction?: number }
  /** `value` is JSON data (checked by the worker). → nothing */
  | { method: "kv.set"; key: string; value: unknown; ttlMs?: number; transaction?: number }
  /** → whether the key was there */
  | { method: "kv.delete"; key: string; transaction?: number }
  /** → `[{ key, value }]` in key order */
  | { method: "kv.list"; prefix: string; transaction?: number }
  /** → the shared `users` row, or undefined */
  | { method: "users.get"; userId: string }
  /** Caches a profile the plugin fetched in the shared `users` table. → nothing */
  | { method: "users.saveProfile"; userId: string; profile: UserProfile };

export interface SerializedRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: Uint8Array<ArrayBuffer> | null;
}

export interface SerializedResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array<ArrayBuffer>;
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
      destination: string | undefined;
      chat: ChatRef | undefined;
      attempt: number;
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
  | { type: "ping"; id: number }
  | { type: "run-tasks"; id: number; now: number }
  | { type: "teardown" };

export type LogLevel = "debug" | "info" | "warn" | "error";

export type WorkerToHost =
  /** The worker's listeners are attached: messages sent before this could be lost. */
  | { type: "booted" }
  | { type: "loaded"; manifest: PluginManifest }
  | { type: "load-failed"; error: string }
  | { type: "delivered"; id: number; error?: string }
  | ({ type: "rpc"; id: number } & RpcCall)
  | { type: "log"; level: LogLevel; message: string; fields?: Record<string, unknown> }
  /** One LINE API attempt by the plugin's own client (ctx.api, content, profile): for metrics. */
  | { type: "api-call"; plugin: string; endpoint: string; status: string }
  | { type: "http-response"; id: number; response: SerializedResponse }
  | { type: "pong"; id: number }
  | { type: "tasks-done"; id: number; count: number }
  | { type: "torn-down"; error?: string };
