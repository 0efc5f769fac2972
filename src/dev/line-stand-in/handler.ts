/** What a route handler gets and gives: the parsed request, and an outcome for the wire. */

import type { PlatformState } from "./state.ts";
import type { Outcome } from "./wire.ts";

export interface RouteRequest {
  requestId: string;
  params: Record<string, string>;
  /** Parsed JSON body; null when there was none. */
  body: unknown;
  /** The body was present but not JSON. */
  malformedJson: boolean;
  retryKey: string | null;
}

export type Handler = (state: PlatformState, req: RouteRequest) => Outcome;
