/** Factories for every event that is not a message: chat membership, postbacks, links, modules. */
import type {
  AccountLinkEvent,
  ActivatedEvent,
  BeaconEvent,
  BotResumedEvent,
  BotSuspendedEvent,
  DeactivatedEvent,
  DeliveryEvent,
  FollowEvent,
  GroupSource,
  JoinEvent,
  LeaveEvent,
  MemberJoinedEvent,
  MemberLeftEvent,
  MembershipEvent,
  ModuleEvent,
  PostbackEvent,
  RoomSource,
  UnfollowEvent,
  UnsendEvent,
  VideoPlayCompleteEvent,
} from "../../core/events.ts";
import { common, type EventOverrides, type Made } from "./common.ts";
import { ALNUM, BOT_USER_ID, DEFAULT_GROUP_ID, DEFAULT_USER_ID, HEX, randomFrom } from "./ids.ts";
import { group, user } from "./sources.ts";

export function unsend(messageId: string, o: EventOverrides = {}): Made<UnsendEvent> {
  return {
    type: "unsend",
    ...common(o, { chat: user(), replyable: false }),
    unsend: { messageId },
  };
}

export function follow(o: EventOverrides & { isUnblocked?: boolean } = {}): Made<FollowEvent> {
  return {
    type: "follow",
    ...common(o, { chat: user(), replyable: true }),
    follow: { isUnblocked: o.isUnblocked ?? false },
  };
}

export function unfollow(o: EventOverrides = {}): Made<UnfollowEvent> {
  return { type: "unfollow", ...common(o, { chat: user(), replyable: false }) };
}

type GroupOverrides = Omit<EventOverrides, "chat">;

/** The bot joined `chat` (a group by default; no sender in the source, as LINE sends it). */
export function join(
  chat: GroupSource | RoomSource = group(DEFAULT_GROUP_ID, null),
  o: GroupOverrides = {},
): Made<JoinEvent> {
  return { type: "join", ...common({ ...o, chat }, { chat, replyable: true }) };
}

export function leave(
  chat: GroupSource | RoomSource = group(DEFAULT_GROUP_ID, null),
  o: GroupOverrides = {},
): Made<LeaveEvent> {
  return { type: "leave", ...common({ ...o, chat }, { chat, replyable: false }) };
}

/** Users joined the group (or `chat` option) the bot is in. */
export function memberJoined(
  userIds: string[] = [DEFAULT_USER_ID],
  o: EventOverrides = {},
): Made<MemberJoinedEvent> {
  return {
    type: "memberJoined",
    ...common(o, { chat: group(DEFAULT_GROUP_ID, null), replyable: true }),
    joined: { members: userIds.map((id) => user(id)) },
  };
}

export function memberLeft(
  userIds: string[] = [DEFAULT_USER_ID],
  o: EventOverrides = {},
): Made<MemberLeftEvent> {
  return {
    type: "memberLeft",
    ...common(o, { chat: group(DEFAULT_GROUP_ID, null), replyable: false }),
    left: { members: userIds.map((id) => user(id)) },
  };
}

export function postback(
  data: string,
  o: EventOverrides & { params?: NonNullable<PostbackEvent["postback"]["params"]> } = {},
): Made<PostbackEvent> {
  return {
    type: "postback",
    ...common(o, { chat: user(), replyable: true }),
    postback: o.params ? { data, params: o.params } : { data },
  };
}

export function videoPlayComplete(
  trackingId: string,
  o: EventOverrides = {},
): Made<VideoPlayCompleteEvent> {
  return {
    type: "videoPlayComplete",
    ...common(o, { chat: user(), replyable: true }),
    videoPlayComplete: { trackingId },
  };
}

export function beacon(
  type: BeaconEvent["beacon"]["type"] = "enter",
  hwid = "d41d8cd98f",
  o: EventOverrides & { dm?: string } = {},
): Made<BeaconEvent> {
  return {
    type: "beacon",
    ...common(o, { chat: user(), replyable: true }),
    beacon: o.dm === undefined ? { hwid, type } : { hwid, type, dm: o.dm },
  };
}

/** A failed link carries neither replyToken nor source, as LINE sends it. */
export function accountLink(
  result: AccountLinkEvent["link"]["result"] = "ok",
  nonce: string = randomFrom(ALNUM, 16),
  o: EventOverrides = {},
): Made<AccountLinkEvent> {
  const ok = result === "ok";
  return {
    type: "accountLink",
    ...common(o, { chat: ok ? user() : null, replyable: ok }),
    link: { result, nonce },
  };
}

export function membership(
  type: MembershipEvent["membership"]["type"] = "joined",
  membershipId = 3189,
  o: EventOverrides = {},
): Made<MembershipEvent> {
  return {
    type: "membership",
    ...common(o, { chat: user(), replyable: true }),
    membership: { type, membershipId },
  };
}

/** Module channel attached/detached: no source, no reply. */
export function moduleEvent(
  type: ModuleEvent["module"]["type"] = "attached",
  o: EventOverrides & {
    botId?: string;
    scopes?: string[];
    reason?: ModuleEvent["module"]["reason"];
  } = {},
): Made<ModuleEvent> {
  const botId = o.botId ?? BOT_USER_ID;
  return {
    type: "module",
    ...common(o, { chat: null, replyable: false }),
    module:
      type === "attached"
        ? { type, botId, scopes: o.scopes ?? ["message:send", "message:receive"] }
        : { type, botId, reason: o.reason ?? "bot_deleted" },
  };
}

/** The module channel became active until `expireAt` (default: an hour after the timestamp). */
export function activated(o: EventOverrides & { expireAt?: number } = {}): Made<ActivatedEvent> {
  const fields = common(o, { chat: user(), replyable: false });
  return {
    type: "activated",
    ...fields,
    chatControl: { expireAt: o.expireAt ?? fields.timestamp + 3_600_000 },
  };
}

export function deactivated(o: EventOverrides = {}): Made<DeactivatedEvent> {
  return { type: "deactivated", ...common(o, { chat: user(), replyable: false }) };
}

export function botSuspended(o: EventOverrides = {}): Made<BotSuspendedEvent> {
  return { type: "botSuspended", ...common(o, { chat: null, replyable: false }) };
}

export function botResumed(o: EventOverrides = {}): Made<BotResumedEvent> {
  return { type: "botResumed", ...common(o, { chat: null, replyable: false }) };
}

/** A LINE notification message was delivered; `data` is a hashed phone number or a delivery tag. */
export function delivery(
  data: string = randomFrom(HEX, 64),
  o: EventOverrides = {},
): Made<DeliveryEvent> {
  return { type: "delivery", ...common(o, { chat: null, replyable: false }), delivery: { data } };
}
