import type { LogBudget } from "../config/options.ts";
import type { Logger } from "../logging/logger.ts";
import { describeIssues } from "./manifest.ts";
import {
  clipText,
  MAX_MESSAGE_TEXT,
  textSize,
  type WorkerToHost,
  workerToHostSchema,
} from "./protocol.ts";

/** A message the host cannot take from a worker: its plugin's fault, never the host's. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

export interface WorkerMessagesOptions {
  logBudget: LogBudget;
  /** A log line was dropped; `first` when a flood begins (the budget was full before it). */
  onLogDropped(first: boolean): void;
}

/**
 * Reads what one worker posts. Plugin code shares the worker and can post anything, so every
 * message is checked against the protocol before the host acts on it, and log lines beyond the
 * worker's budget are dropped before any work is spent on them.
 */
export class WorkerMessages {
  readonly #o: WorkerMessagesOptions;
  #tokens: number;
  #refilledAt: number;
  #flooding = false;

  constructor(options: WorkerMessagesOptions) {
    this.#o = options;
    this.#tokens = options.logBudget.burst;
    // Real time, whatever the host's clock says: the budget guards the host's real work.
    this.#refilledAt = performance.now();
  }

  /** The message, checked; undefined for a log line over budget. Throws a ProtocolError. */
  read(data: unknown): WorkerToHost | undefined {
    if (typeOf(data) === "log" && !this.#admitLogLine()) return undefined;
    if (textSize(data, MAX_MESSAGE_TEXT) > MAX_MESSAGE_TEXT)
      throw new ProtocolError(`${describe(data)} carries over ${MAX_MESSAGE_TEXT} characters`);
    const parsed = workerToHostSchema.safeParse(data);
    if (!parsed.success)
      throw new ProtocolError(`${describe(data)}: ${clipText(describeIssues(parsed.error), 500)}`);
    return parsed.data;
  }

  #admitLogLine(): boolean {
    const { linesPerSecond, burst } = this.#o.logBudget;
    const now = performance.now();
    this.#tokens = Math.min(
      burst,
      this.#tokens + ((now - this.#refilledAt) / 1000) * linesPerSecond,
    );
    this.#refilledAt = now;
    // A flood is over once the budget has refilled: the next one is told again.
    if (this.#tokens >= burst) this.#flooding = false;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#o.onLogDropped(!this.#flooding);
    this.#flooding = true;
    return false;
  }
}

function typeOf(data: unknown): unknown {
  return typeof data === "object" && data !== null ? (data as { type?: unknown }).type : undefined;
}

/** Names the message by its type, never quoting more of it. */
function describe(data: unknown): string {
  const type = typeOf(data);
  if (typeof type === "string") return `a message of type ${JSON.stringify(clipText(type, 64))}`;
  if (typeof data === "object" && data !== null) return "a message without a type";
  return `a message that is ${data === null ? "null" : `a ${typeof data}`}`;
}

/** Why a message could not be taken, for the log and the worker's status. */
export function protocolErrorText(error: unknown): string {
  if (error instanceof ProtocolError) return error.message;
  // A message that passed the checks and still broke the host's handling of it.
  return `a message the host could not use: ${clipText(error instanceof Error ? error.message : String(error), 500)}`;
}

export function forwardLog(log: Logger, message: Extract<WorkerToHost, { type: "log" }>): void {
  log[message.level](message.fields ?? {}, message.message);
}

/**
 * The error's own message. Bun's ErrorEvent message is a code frame followed by
 * "error: <message>" and the stack: fine in a terminal, unreadable in a status or a delivery record.
 */
export function errorText(event: ErrorEvent): string {
  if (event.error instanceof Error) return event.error.message;
  const lines = event.message.split("\n");
  const line = lines.find((l) => l.startsWith("error: "));
  return line ? line.slice("error: ".length) : event.message.trim();
}

export interface PluginReportsOptions {
  log: Logger;
  /** Log lines the worker may send; the rest are dropped. */
  logBudget: LogBudget;
  /** The plugin made one LINE API attempt (metrics). */
  onApiCall?(plugin: string, endpoint: string, status: string): void;
  /**
   * The worker sent what the protocol does not allow, and was terminated for it. `plugin` is the
   * file's name when the module had not told its own yet.
   */
  onProtocolError?(plugin: string, error: string): void;
  /** One of the plugin's log lines was dropped, over its budget. */
  onLogDropped?(plugin: string): void;
}

/** Reports of a loading worker kept until its plugin is named; more are not kept. */
const MAX_HELD_REPORTS = 1000;

/**
 * What the host counts for the plugin a worker runs. The plugin's name is the module's to tell:
 * until it has, reports wait (the LINE calls its setup made, say), and go under the file's name
 * if the load fails. Never under a name plugin code posts.
 */
export class PluginReports {
  readonly #o: PluginReportsOptions;
  #plugin: string | undefined;
  readonly #held: Array<(plugin: string) => void> = [];

  constructor(options: PluginReportsOptions) {
    this.#o = options;
  }

  /** The plugin is known by this name from now on. */
  named(plugin: string): void {
    this.#plugin = plugin;
    for (const report of this.#held.splice(0)) report(plugin);
  }

  apiCall(endpoint: string, status: string): void {
    this.#report((plugin) => this.#o.onApiCall?.(plugin, endpoint, status));
  }

  protocolError(reason: string): void {
    this.#report((plugin) => this.#o.onProtocolError?.(plugin, reason));
  }

  /** A log line dropped: counted; the first of a flood is told, once. */
  logDropped(first: boolean): void {
    this.#report((plugin) => {
      if (first)
        this.#o.log.warn(
          { plugin, budget: this.#o.logBudget },
          "plugin logs faster than its budget: dropping its log lines (hotline_plugin_log_lines_dropped_total)",
        );
      this.#o.onLogDropped?.(plugin);
    });
  }

  #report(report: (plugin: string) => void): void {
    if (this.#plugin !== undefined) report(this.#plugin);
    else if (this.#held.length < MAX_HELD_REPORTS) this.#held.push(report);
  }
}
