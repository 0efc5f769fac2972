/**
 * The webhook events the simulator's actions come out as (made as LINE makes them), and the
 * transcript entry that shows each.
 */
import type { Mentionee, Source } from "../../core/events.ts";
import { event, group, user } from "../events/mod.ts";
import { BOT_HANDLE, GROUP, PEOPLE, type Person, personOf } from "./cast.ts";
import type { SendAction, UploadQuery } from "./schemas.ts";
import type { ChatKey, NewEntry } from "./transcript.ts";
import type { UploadedMessage } from "./uploads.ts";
import type { OutgoingEvent } from "./webhook.ts";

type WithoutPosting<E> = E extends unknown ? Omit<E, "chat" | "eventId" | "status"> : never;
/** A transcript entry before its event is posted; the chat, event id and status come with it. */
export type EntryDraft = WithoutPosting<Extract<NewEntry, { kind: "user" | "system" }>>;

export interface BuiltEvent {
  chat: ChatKey;
  event: OutgoingEvent;
  entry: EntryDraft;
  /** A text's quote token and text: a bot reply that quotes it shows the text. */
  quote?: { token: string; text: string };
}

/** The chat an action happens in: the person's 1:1 chat with the bot, or the group. */
function chatOf(kind: "user" | "group", userId: string): { chat: ChatKey; source: Source } {
  return kind === "group"
    ? { chat: `group:${GROUP.id}`, source: group(GROUP.id, userId) }
    : { chat: `user:${userId}`, source: user(userId) };
}

type Switch = Extract<SendAction, { type: "richmenuswitch" }>;

export function buildSend(action: Exclude<SendAction, Switch>, botUserId: string): BuiltEvent {
  const person = personOf(action.user);
  if (action.type === "follow" || action.type === "unfollow" || action.type === "beacon")
    return buildOneToOne(action, person);
  const { chat, source } = chatOf(action.chat, person.id);
  if (action.type === "unsend") {
    const made = event.unsend(action.messageId, { chat: source });
    const text = `${person.name} unsent a message`;
    return { chat, event: made, entry: { kind: "system", text, unsent: action.messageId } };
  }
  if (action.type === "postback") return buildPostback(action, person.id, chat, source);
  if (action.type === "sticker") {
    const made = event.sticker(action.packageId, action.stickerId, { chat: source });
    const { id, packageId, stickerId } = made.message;
    const message = { type: "sticker" as const, id, packageId, stickerId };
    return { chat, event: made, entry: { kind: "user", user: person.id, message } };
  }
  const mention = action.chat === "group" ? mentions(action.text, botUserId) : [];
  const made = event.text(action.text, {
    chat: source,
    ...(mention.length > 0 ? { mention } : {}),
  });
  const message = { type: "text" as const, id: made.message.id, text: action.text };
  return {
    chat,
    event: made,
    entry: { kind: "user", user: person.id, message },
    ...(made.message.quoteToken
      ? { quote: { token: made.message.quoteToken, text: action.text } }
      : {}),
  };
}

/**
 * The postback LINE sends after a rich menu switch: the alias switched to and SUCCESS, or only the
 * status when the alias named no menu.
 */
export function buildRichMenuSwitch(action: Switch, switched: boolean): BuiltEvent {
  const { aliasId, data, label } = action;
  const params = switched
    ? { newRichMenuAliasId: aliasId, status: "SUCCESS" as const }
    : { status: "RICHMENU_ALIAS_ID_NOTFOUND" as const };
  const made = event.postback(data, { chat: user(action.user), params });
  const message = {
    type: "postback" as const,
    id: made.webhookEventId,
    data,
    ...(label !== undefined ? { label } : {}),
  };
  return {
    chat: `user:${action.user}`,
    event: made,
    entry: { kind: "user", user: action.user, message },
  };
}

function buildPostback(
  action: Extract<SendAction, { type: "postback" }>,
  userId: string,
  chat: ChatKey,
  source: Source,
): BuiltEvent {
  const { data, label, displayText, params } = action;
  const made = event.postback(data, { chat: source, ...(params ? { params } : {}) });
  const message = {
    type: "postback" as const,
    id: made.webhookEventId,
    data,
    ...(label !== undefined ? { label } : {}),
    ...(displayText !== undefined ? { displayText } : {}),
  };
  return { chat, event: made, entry: { kind: "user", user: userId, message } };
}

/** Follow, unfollow and beacons happen between a person and the bot, never in the group. */
function buildOneToOne(
  action: Extract<SendAction, { type: "follow" | "unfollow" | "beacon" }>,
  person: Person,
): BuiltEvent {
  const chat = `user:${person.id}`;
  const source = user(person.id);
  const [made, text] =
    action.type === "follow"
      ? [event.follow({ chat: source }), `${person.name} added the bot as a friend`]
      : action.type === "unfollow"
        ? [event.unfollow({ chat: source }), `${person.name} blocked the bot`]
        : [
            event.beacon(action.beacon, action.hwid, { chat: source }),
            `${person.name}'s phone saw beacon ${action.hwid} (${action.beacon})`,
          ];
  return { chat, event: made, entry: { kind: "system", text } };
}

/** "@hotline" mentions the bot, "@Bob" a person: as LINE marks them in a group message. */
function mentions(text: string, botUserId: string): Mentionee[] {
  const names = [BOT_HANDLE, ...PEOPLE.map((p) => p.name)].join("|");
  const found: Mentionee[] = [];
  for (const match of text.matchAll(new RegExp(`@(${names})\\b`, "gi"))) {
    const name = (match[1] ?? "").toLowerCase();
    const self = name === BOT_HANDLE;
    const person = PEOPLE.find((p) => p.name.toLowerCase() === name);
    found.push({
      index: match.index ?? 0,
      length: match[0].length,
      type: "user",
      userId: self ? botUserId : (person?.id ?? ""),
      isSelf: self,
    });
  }
  return found;
}

/** The kind of message LINE makes of a file of this type. */
export function mediaType(contentType: string): "image" | "video" | "audio" | "file" {
  const top = contentType.split("/")[0];
  return top === "image" || top === "video" || top === "audio" ? top : "file";
}

export function buildUpload(query: UploadQuery, uploaded: UploadedMessage): BuiltEvent {
  const { chat, source } = chatOf(query.chat, query.user);
  const type = mediaType(uploaded.contentType);
  const options = { chat: source, messageId: uploaded.id };
  const made =
    type === "image"
      ? event.image(options)
      : type === "video"
        ? event.video(options)
        : type === "audio"
          ? event.audio(options)
          : event.file(query.name, uploaded.size, options);
  const message = { type, ...uploaded, ...(type === "file" ? { fileName: query.name } : {}) };
  return { chat, event: made, entry: { kind: "user", user: query.user, message } };
}

/** The accountLink event LINE sends once someone signed in: failed unless they were the one asked. */
export function buildAccountLink(link: {
  person: Person;
  ok: boolean;
  nonce: string;
  providerUserId: string;
}): BuiltEvent {
  const { person, ok, nonce } = link;
  const made = ok
    ? event.accountLink("ok", nonce, { chat: user(person.id) })
    : event.accountLink("failed", nonce);
  const text = ok
    ? `${person.name} signed in as "${link.providerUserId}"; LINE confirmed the link`
    : `${person.name} signed in with a link issued to someone else; LINE reported the link failed`;
  return { chat: `user:${person.id}`, event: made, entry: { kind: "system", text } };
}
