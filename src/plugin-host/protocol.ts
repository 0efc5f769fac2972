import type { RetryPolicy } from "../config/options.ts";
import type { UnknownEvent, WebhookEvent } from "../core/events.ts";
import type { Message } from "../core/message.ts";
import type { ChatRef } from "../sdk/context.ts";
import type { PluginManifest } from "./manifest.ts";

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
  | { type: "rpc-result"; id: number; error?: string }
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
  | {
      type: "rpc";
      id: number;
      deliveryId: number | undefined;
      method: "reply" | "push";
      messages: Message[];
      to?: string;
    }
  | { type: "log"; level: LogLevel; message: string; fields?: Record<string, unknown> }
  /** One LINE API attempt by the plugin's own client (ctx.api, content, profile): for metrics. */
  | { type: "api-call"; plugin: string; endpoint: string; status: string }
  | { type: "http-response"; id: number; response: SerializedResponse }
  | { type: "pong"; id: number }
  | { type: "tasks-done"; id: number; count: number }
  | { type: "torn-down"; error?: string };
