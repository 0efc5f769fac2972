/**
 * What a delivery sent to LINE: the plugin's share of the event's merged reply, and its pushes, as
 * they went out. Kept with the delivery (`deliveries.sent`) for operators, replays and fixtures.
 */
import { z } from "zod";
import type { Message } from "./message.ts";

/** Messages are LINE's objects as sent; their shape is LINE's to check (see `line/validate.ts`). */
const messageSchema = z.record(z.string(), z.unknown()) as unknown as z.ZodType<Message>;

export const sentBatchSchema = z.object({
  /** `reply`: part of the event's reply (an overflow past five went by push, keyed as a reply). */
  via: z.enum(["reply", "push"]),
  /** A push's recipient; absent for replies. */
  to: z.string().optional(),
  messages: z.array(messageSchema),
});

export type SentBatch = z.infer<typeof sentBatchSchema>;

export const sentSchema = z.array(sentBatchSchema);

/** Reads what the store kept (JSON text on SQLite, jsonb on PostgreSQL); null when none was kept. */
export function readSent(value: unknown): SentBatch[] | null {
  if (value === null || value === undefined) return null;
  const parsed = sentSchema.safeParse(typeof value === "string" ? JSON.parse(value) : value);
  return parsed.success ? parsed.data : null;
}
