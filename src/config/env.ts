import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));
const routePath = z
  .string()
  .regex(/^\/[A-Za-z0-9/_\-.]*$/, "must be an absolute path like /webhook")
  .transform((value) => (value.length > 1 ? value.replace(/\/+$/, "") : value));
/** Empty strings count as unset: `LINE_CHANNEL_SECRET= bun run start` means "no secret". */
const optionalSecret = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value));

/** A bearer token for an HTTP API: long enough that guessing it is hopeless, and sendable. */
const bearerToken = optionalSecret
  .refine((value) => value === undefined || value.length >= 32, {
    message: "must be at least 32 characters (make one with `openssl rand -hex 32`)",
  })
  .refine((value) => value === undefined || /^\S+$/.test(value), {
    message: "must not contain spaces (make one with `openssl rand -hex 32`)",
  });
/** A switch: spelled out, so that a typo stops the start instead of meaning "off". */
const flag = z
  .enum(["1", "true", "0", "false"], 'must be "1" or "true" (on), "0" or "false" (off)')
  .transform((value) => value === "1" || value === "true");

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const envSchema = z.object({
  PORT: port.default(3000),
  /** Default: all interfaces, or only loopback in local mode (the simulator signs webhooks). */
  HOST: z.string().min(1).optional(),
  LINE_CHANNEL_SECRET: optionalSecret,
  LINE_CHANNEL_ACCESS_TOKEN: optionalSecret,
  /**
   * Local mode (no credentials) on a HOST other than loopback: its simulator signs any event it is
   * sent, so it stays on this machine unless this says it may be reached from elsewhere.
   */
  LOCAL_MODE_PUBLIC: flag.default(false),
  LINE_API_BASE_URL: url.default("https://api.line.me"),
  LINE_DATA_API_BASE_URL: url.default("https://api-data.line.me"),
  DATA_DIR: z.string().min(1).default("./data"),
  /** Unset: SQLite in DATA_DIR. `postgres://…`: PostgreSQL, shared by every instance on it. */
  DATABASE_URL: optionalSecret,
  PLUGINS_DIR: z.string().min(1).default("./plugins"),
  CONFIG_FILE: z.string().min(1).default("./hotline.config.json"),
  WEBHOOK_PATH: routePath.default("/webhook"),
  /** Where users reach this bot (links to plugin routes); default: the local server URL. */
  PUBLIC_URL: url.optional(),
  WEBHOOK_MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  /** LINE documents no maximum and sends a few dozen at most; each event costs the event loop. */
  WEBHOOK_MAX_EVENTS: positiveInt.default(500),
  ADMIN_TOKEN: bearerToken,
  /** Bearer token `/metrics` requires; unset: the metrics are served to anyone who can connect. */
  METRICS_TOKEN: bearerToken,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DISPATCH_CONCURRENCY: positiveInt.default(32),
  REPLY_DEADLINE_MS: positiveInt.default(1500),
  HANDLER_TIMEOUT_MS: positiveInt.default(30_000),
  /**
   * A plugin's worker without work for this long is stopped, giving its memory back; the next
   * event, job or request for the plugin starts it again. 0: workers are never parked.
   */
  PLUGIN_IDLE_MS: z.coerce.number().int().min(0).default(10_000),
  MAX_ATTEMPTS: positiveInt.default(5),
  INBOX_RETENTION_HOURS: positiveInt.default(72),
  /** Where LINE's quota month begins and ends (the channel's region; JST for Japan). */
  LINE_QUOTA_TIME_ZONE: z
    .string()
    .refine(isTimeZone, "must be an IANA time zone like Asia/Tokyo")
    .default("Asia/Tokyo"),
  /** Keep what each delivery sent (for the admin API, replays, fixtures), as long as its event. */
  RECORD_SENT: flag.default(true),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A value as the error shows it: quoted and escaped (so the message stays one line), and short. */
function show(value: string): string {
  const quoted = JSON.stringify(value);
  return quoted.length > 60 ? `${quoted.slice(0, 56)}…" (${value.length} chars)` : quoted;
}

/**
 * Parses the environment; the error message is one line naming the first bad variable. An empty
 * or blank value counts as unset, for every variable: `PORT=` would otherwise coerce to port 0.
 */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const set = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const result = envSchema.safeParse(set);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = issue?.path.join(".") || "environment";
  const value = set[name];
  const secret = /SECRET|TOKEN|DATABASE_URL/.test(name);
  const shown = value === undefined || secret ? "" : ` (got ${show(value)})`;
  throw new ConfigError(
    `invalid environment variable ${name}${shown}: ${issue?.message ?? "invalid"}`,
  );
}

/** Variables named like LINE's (`LINE_…`) that hotline does not know: likely a credential's typo. */
export function unknownLineVariables(source: Record<string, string | undefined>): string[] {
  return Object.keys(source).filter(
    (name) => name.startsWith("LINE_") && !(name in envSchema.shape) && source[name]?.trim(),
  );
}
