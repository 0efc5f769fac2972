import type { Env } from "./env.ts";

/** Retries of one LINE API call (429 and 5xx). */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Delays between the attempts of a delivery whose plugin failed (`MAX_ATTEMPTS` bounds them). */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Consecutive failures that pause a plugin, and for how long. */
export interface CircuitBreakerPolicy {
  threshold: number;
  cooldownMs: number;
}

/** Log lines one plugin worker may send the host: a steady rate, and bursts up to `burst`. */
export interface LogBudget {
  linesPerSecond: number;
  burst: number;
}

/** How long plugin state may hold a connection (see `StateBounds` in storage/plugin-state.ts). */
export interface PluginStateBounds {
  /** A statement's run on PostgreSQL, or a wait for SQLite's one writer. */
  queryTimeoutMs: number;
  /** A transaction's whole life: past it, it is rolled back and the plugin told. */
  transactionTimeoutMs: number;
}

/**
 * The knobs that are not environment variables: production runs on the defaults below, tests and
 * benchmarks turn them. Declared once here; every part of the runtime reads them from `Config`.
 */
export interface Tuning {
  lineRetry: RetryPolicy;
  backoff: BackoffPolicy;
  breaker: CircuitBreakerPolicy;
  /** Watch the plugins directory and the config file for changes. */
  watch: boolean;
  /** How long a plugin module may take to import and run its setup. */
  loadTimeoutMs: number;
  /** How long a plugin whose deadline passed may take to answer a ping before it counts as hung. */
  hangGraceMs: number;
  /** How long an unloaded version may finish its in-flight deliveries. */
  drainMs: number;
  /** How long the plugins directory must be quiet before a change is loaded. */
  debounceMs: number;
  /** Log lines past it are dropped (and counted), so a plugin cannot bury the host in them. */
  pluginLogBudget: LogBudget;
  /** Events the dispatcher keeps parsed in memory ahead of their deliveries; a backlog waits on disk. */
  eventsInMemory: number;
  /** Job runs one process runs at once (see `src/schedules/`). */
  jobConcurrency: number;
  pluginState: PluginStateBounds;
  /**
   * Settings each plugin starts from, by plugin name; its config file section overrides them key
   * by key. None in production; local mode turns on account-link's demo sign-in page.
   */
  defaultSettings: Record<string, Record<string, unknown>>;
  /** Which plugin files the plugin host loads: "next" for the shadow host (`<name>.next.ts`). */
  pluginFiles: "live" | "next";
}

export const DEFAULT_TUNING: Tuning = {
  lineRetry: { retries: 4, baseDelayMs: 250, maxDelayMs: 30_000 },
  backoff: { baseDelayMs: 1000, maxDelayMs: 5 * 60_000 },
  breaker: { threshold: 5, cooldownMs: 30_000 },
  watch: true,
  loadTimeoutMs: 10_000,
  hangGraceMs: 1000,
  drainMs: 10_000,
  debounceMs: 100,
  pluginLogBudget: { linesPerSecond: 200, burst: 1000 },
  eventsInMemory: 2_000,
  jobConcurrency: 8,
  pluginState: { queryTimeoutMs: 10_000, transactionTimeoutMs: 10_000 },
  defaultSettings: {},
  pluginFiles: "live",
};

/** Everything the runtime is configured with: the validated environment and the tuning. */
export interface Config {
  readonly env: Env;
  readonly tuning: Tuning;
}

export function resolveConfig(env: Env, tuning: Partial<Tuning> = {}): Config {
  const given = Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined));
  return { env, tuning: { ...DEFAULT_TUNING, ...given } };
}
