/** The fields every webhook event carries, with the overrides every factory accepts. */
import type { DeliveryContext, EventMode, Source } from "../../core/events.ts";
import { eventTime, replyToken, ulid } from "./ids.ts";

export type EventOverrides = {
  timestamp?: number;
  /** `standby` also drops the default replyToken, as LINE does. */
  mode?: EventMode;
  /** The event's `source`; null omits it. */
  chat?: Source | null;
  webhookEventId?: string;
  /** null omits it. */
  replyToken?: string | null;
  deliveryContext?: Partial<DeliveryContext>;
};

/** What every factory sets, whatever LINE's schema leaves optional. */
export type Made<E> = E & {
  webhookEventId: string;
  timestamp: number;
  deliveryContext: DeliveryContext;
};

/** The id of an event made here, for events whose static type no longer shows it is set. */
export function eventId(e: { webhookEventId?: string }): string {
  if (!e.webhookEventId) throw new Error("event has no webhookEventId: was it made by a factory?");
  return e.webhookEventId;
}

export type CommonFields = {
  timestamp: number;
  mode: EventMode;
  webhookEventId: string;
  deliveryContext: DeliveryContext;
  source?: Source;
  replyToken?: string;
};

/** The common fields: `chat` is the default source, `replyable` whether the type has a token. */
export function common(
  o: EventOverrides,
  defaults: { chat: Source | null; replyable: boolean },
): CommonFields {
  const timestamp = o.timestamp ?? eventTime();
  const mode = o.mode ?? "active";
  const fields: CommonFields = {
    timestamp,
    mode,
    webhookEventId: o.webhookEventId ?? ulid(timestamp),
    deliveryContext: { isRedelivery: false, ...o.deliveryContext },
  };
  const source = o.chat === undefined ? defaults.chat : o.chat;
  if (source) fields.source = source;
  let token = o.replyToken;
  if (token === undefined) token = defaults.replyable && mode !== "standby" ? replyToken() : null;
  if (token !== null) fields.replyToken = token;
  return fields;
}
