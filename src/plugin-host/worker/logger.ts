import type { Logger } from "../../sdk/context.ts";
import { boundLogFields, clipText, type LogLevel, type WorkerToHost } from "../protocol.ts";

type Post = (message: WorkerToHost) => void;

/**
 * Logs cross to the host, which writes them with the plugin's name attached. The SDK's order is
 * pino's, `log.info(fields, "msg")`; a message-first call from untyped plugin code is read the
 * same way rather than losing its fields.
 */
export function createWorkerLogger(
  post: Post,
  base: Record<string, unknown> = {},
): Logger & {
  child(fields: Record<string, unknown>): ReturnType<typeof createWorkerLogger>;
} {
  const emit =
    (level: LogLevel) =>
    (first: unknown, second?: unknown): void => {
      const [message, fields] =
        typeof first === "string"
          ? [first, second as Record<string, unknown> | undefined]
          : [
              typeof second === "string" ? second : "",
              first as Record<string, unknown> | undefined,
            ];
      // Clipped as the host would clip them, so a long line costs nothing to send either.
      post({
        type: "log",
        level,
        message: clipText(String(message)),
        fields: boundLogFields({ ...base, ...safe(fields) }),
      });
    };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (fields) => createWorkerLogger(post, { ...base, ...fields }),
  };
}

/** Fields must survive structured cloning; errors become their message and stack. */
function safe(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) out[key] = { message: value.message, stack: value.stack };
    else if (typeof value === "function" || typeof value === "symbol") out[key] = String(value);
    else out[key] = value;
  }
  return out;
}
