/**
 * Factories for webhook events: each returns an event in LINE's strict shape (ULID
 * webhookEventId, replyToken where the type has one, timestamp, mode, deliveryContext, source),
 * typed by the event model. The test kit (`hotline/testing`) exports them; the local chat
 * simulator builds the events it sends with them.
 *
 *   event.text("hello")
 *   event.text("hi @bot", { chat: group(), mention: [{ at: "@bot", isSelf: true }] })
 *   event.postback("action=buy", { params: { date: "2025-01-01" } })
 *   event.follow({ mode: "standby" })   // standby events carry no replyToken
 *
 * Web-standard APIs only (no Bun.*, no node:*): plugin tests may run under Deno.
 */
import {
  audio,
  file,
  image,
  location,
  messageEdited,
  sticker,
  text,
  video,
} from "./message-events.ts";
import {
  accountLink,
  activated,
  beacon,
  botResumed,
  botSuspended,
  deactivated,
  delivery,
  follow,
  join,
  leave,
  memberJoined,
  memberLeft,
  membership,
  moduleEvent,
  postback,
  unfollow,
  unsend,
  videoPlayComplete,
} from "./other-events.ts";

export { type EventOverrides, eventId, type Made } from "./common.ts";
export { envelope } from "./envelope.ts";
export {
  BOT_USER_ID,
  DEFAULT_GROUP_ID,
  DEFAULT_ROOM_ID,
  DEFAULT_USER_ID,
  messageId,
  setEventClock,
  ulid,
} from "./ids.ts";
export type { MediaOptions, MentionInput, MessageOptions, TextOptions } from "./message-events.ts";
export { group, room, user } from "./sources.ts";

export const event = {
  text,
  image,
  video,
  audio,
  file,
  location,
  sticker,
  messageEdited,
  unsend,
  follow,
  unfollow,
  join,
  leave,
  memberJoined,
  memberLeft,
  postback,
  videoPlayComplete,
  beacon,
  accountLink,
  membership,
  module: moduleEvent,
  activated,
  deactivated,
  botSuspended,
  botResumed,
  delivery,
};
