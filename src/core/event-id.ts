import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level: the same content always gives the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const fields = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * LINE's webhookEventId when present; otherwise a hash of the event's content, so a redelivery of
 * an older payload without ids still dedups. The hash ignores key order and `deliveryContext`: a
 * redelivery differs from the original only in `isRedelivery`.
 */
export function eventIdOf(raw: unknown): string {
  const event = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? raw : undefined;
  const id = (event as { webhookEventId?: unknown } | undefined)?.webhookEventId;
  if (typeof id === "string" && id.length > 0) return id;
  const content = canonicalJson(event ? { ...event, deliveryContext: undefined } : raw);
  return `derived-${createHash("sha256").update(content).digest("hex").slice(0, 32)}`;
}
