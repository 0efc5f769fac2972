import pino from "pino";
import pretty from "pino-pretty";

export type Logger = pino.Logger;
export type LogLevel = pino.LevelWithSilent;

/** Anything that could carry a credential is censored, wherever it appears in a log object. */
const REDACT = [
  "secret",
  "token",
  "channelSecret",
  "channelAccessToken",
  "authorization",
  "headers.authorization",
  "replyToken",
  "*.replyToken",
  "*.channelAccessToken",
  "*.authorization",
];

export interface LoggerOptions {
  /** Human-readable lines instead of JSON (default: when stdout is a terminal). */
  pretty?: boolean;
}

/**
 * JSON lines for log collectors; on a terminal, the same records pretty-printed. The pretty
 * stream runs in this thread (no transport worker), so it behaves the same on Bun and Deno.
 */
export function createLogger(level: LogLevel = "info", options: LoggerOptions = {}): Logger {
  const settings: pino.LoggerOptions = {
    level,
    base: undefined,
    redact: { paths: REDACT, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const human = options.pretty ?? process.stdout.isTTY === true;
  if (!human) return pino(settings);
  return pino(settings, pretty({ colorize: true, translateTime: "SYS:HH:MM:ss.l", sync: true }));
}

/** For tests and tools that must not print. */
export const silentLogger: Logger = pino({ level: "silent" });
