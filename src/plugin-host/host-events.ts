import type { ReloadEvent } from "./reloader.ts";

/** A worker sent what the protocol does not allow (its plugin's fault): it was terminated. */
export interface ProtocolErrorEvent {
  type: "protocol-error";
  /** The file's name when the module had not named its plugin yet. */
  name: string;
  file: string;
  error: string;
}

/** A plugin's worker had no work for `PLUGIN_IDLE_MS` and was stopped; work starts it again. */
export interface ParkedEvent {
  type: "parked";
  name: string;
}

/**
 * What the plugin host reports: loads, failures, unloads, workers that broke the protocol, and
 * workers parked while idle.
 */
export type HostEvent = ReloadEvent | ProtocolErrorEvent | ParkedEvent;
