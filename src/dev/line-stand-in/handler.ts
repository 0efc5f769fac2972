/** What a route handler gets and gives: the parsed request, and an outcome for the wire. */

import type { PlatformState } from "./state.ts";
import type { Outcome } from "./wire.ts";

export interface RouteRequest {
  requestId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body; null when there was none, or it was not JSON. */
  body: unknown;
  /** The body was present, declared as JSON (or undeclared) and not JSON. */
  malformedJson: boolean;
  /** The body's bytes, as sent (images uploaded to rich menus). */
  bytes: Uint8Array;
  contentType: string | null;
  retryKey: string | null;
  /** The channel the request's token is for (rich menus are per channel); unset: `default`. */
  channel?: string;
}

export type Handler = (state: PlatformState, req: RouteRequest) => Outcome;
