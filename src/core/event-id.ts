import { createHash } from "node:crypto";

/** A value still to be written, or text to write as it is (brackets, commas, keys). */
type Pending = { value: unknown } | string;

/**
 * JSON with object keys sorted at every level: the same content always gives the same text.
 * Iterative, with its own stack: the input is untrusted, and no depth of nesting may overflow
 * the call stack (the webhook bounds the depth too; this does not rely on it). The text is the
 * same the recursive definition gave, so ids derived before stay the same.
 */
function canonicalJson(root: unknown): string {
  let text = "";
  const pending: Pending[] = [{ value: root }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (typeof item === "string") {
      text += item;
      continue;
    }
    const { value } = item;
    if (Array.isArray(value)) {
      // Pushed last to first: popped in order.
      pending.push("]");
      for (let i = value.length - 1; i >= 0; i--) {
        pending.push({ value: value[i] });
        if (i > 0) pending.push(",");
      }
      text += "[";
    } else if (value !== null && typeof value === "object") {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .sort()
        .filter((key) => record[key] !== undefined);
      pending.push("}");
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        pending.push({ value: record[key] });
        pending.push(`${i > 0 ? "," : ""}${JSON.stringify(key)}:`);
      }
      text += "{";
    } else {
      text += JSON.stringify(value) ?? "null";
    }
  }
  return text;
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
