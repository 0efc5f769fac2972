/**
 * `/admin/events/:id` and `/admin/chats/:chatKey/events`: stored events with, per plugin, how its
 * delivery ended and what it sent to LINE (null when nothing was recorded: recording off, or a run
 * that sent nothing), and with shadow runs on, what the plugins' next versions would have sent.
 */
import { Elysia } from "elysia";
import { z } from "zod";
import type { ShadowLog } from "../shadow/shadow-log.ts";
import type { HistoryEntry, Store } from "../storage/store.ts";
import { type Guard, json, parse } from "./respond.ts";

/** Epoch milliseconds, or an ISO 8601 time. */
const time = z.union([
  z.coerce.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform((value) => Date.parse(value)),
]);
const chatQuery = z.strictObject({
  since: time.optional(),
  until: time.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const chatKey = z
  .string()
  .regex(/^(user|group|room):\S{1,200}$/, "a chat key: user:U…, group:C…, room:R…");

/**
 * As operators read it: the event as LINE sent it, not the text it is stored as; with shadow runs
 * on, what each next version answered (`shadow`, by plugin), beside the deliveries.
 */
function shownWith(shadow: ShadowLog | undefined) {
  return ({ event, deliveries }: HistoryEntry) => {
    const { body, seq: _, ...rest } = event;
    const shadows = shadow ? { shadow: shadow.answersTo(event.id) } : {};
    return { ...rest, event: JSON.parse(body) as unknown, deliveries, ...shadows };
  };
}

const decoded = (value: string | undefined) => decodeURIComponent(value ?? "");

export function historyRoutes(options: { guard: Guard; store: Store; shadow?: ShadowLog }) {
  const { guard, store } = options;
  const shown = shownWith(options.shadow);
  return new Elysia()
    .get(
      "/events/:id",
      guard(async (_request, params) => {
        const id = decoded(params.id);
        const [entry] = await store.history({ eventIds: [id], limit: 1 });
        if (!entry) return json(404, { error: `no stored event "${id}"` });
        return json(200, { event: shown(entry) });
      }),
    )
    .get(
      "/chats/:chatKey/events",
      guard(async (request, params) => {
        const key = parse(chatKey, decoded(params.chatKey), "chatKey");
        const query = parse(
          chatQuery,
          Object.fromEntries(new URL(request.url).searchParams),
          "query",
        );
        const entries = await store.history({ chatKey: key, ...query });
        return json(200, { chatKey: key, events: entries.map(shown) });
      }),
    );
}
