import pino from "pino";

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

export function createLogger(level: LogLevel = "info"): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: REDACT, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** For tests and tools that must not print. */
export const silentLogger: Logger = pino({ level: "silent" });
