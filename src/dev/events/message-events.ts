/** Factories for message events (and their edits), each in LINE's strict shape. */
import type {
  AudioMessage,
  ContentProvider,
  Emoji,
  FileMessage,
  ImageMessage,
  LocationMessage,
  Mentionee,
  MessageContent,
  MessageEditedEvent,
  MessageEventOf,
  StickerMessage,
  TextMessage,
  VideoMessage,
} from "../../core/events.ts";
import { common, type EventOverrides, type Made } from "./common.ts";
import { BOT_USER_ID, DEFAULT_USER_ID, messageId, quoteToken } from "./ids.ts";
import { user } from "./sources.ts";

export type MessageOptions = EventOverrides & {
  /** The message id; random by default. */
  messageId?: string;
  markAsReadToken?: string;
};
type Quotable = { quoteToken?: string };

function messageEvent<M extends MessageContent>(
  o: MessageOptions,
  message: M,
): Made<MessageEventOf<M>> {
  return { type: "message", ...common(o, { chat: user(), replyable: true }), message };
}

function messageFields(o: MessageOptions) {
  return {
    id: o.messageId ?? messageId(),
    ...(o.markAsReadToken === undefined ? {} : { markAsReadToken: o.markAsReadToken }),
  };
}

/**
 * A mention, either as LINE sends it or located by the text it covers: `{ at: "@bot" }` finds
 * "@bot" in the message (after the previous mention) and fills in index and length.
 */
export type MentionInput =
  | Mentionee
  | { at: string; type?: "user" | "all"; userId?: string; isSelf?: boolean };

export type TextOptions = MessageOptions &
  Quotable & {
    mention?: MentionInput[];
    emojis?: Emoji[];
    quotedMessageId?: string;
  };

function mentionees(text: string, inputs: MentionInput[]): Mentionee[] {
  let from = 0;
  return inputs.map((input) => {
    if ("index" in input) return input;
    const index = text.indexOf(input.at, from);
    if (index < 0) throw new Error(`mention "${input.at}" not found in "${text}"`);
    from = index + input.at.length;
    const type = input.type ?? "user";
    return {
      index,
      length: input.at.length,
      type,
      ...(type === "user"
        ? {
            userId: input.userId ?? (input.isSelf ? BOT_USER_ID : DEFAULT_USER_ID),
            isSelf: input.isSelf ?? false,
          }
        : {}),
    };
  });
}

function textMessage(text: string, o: TextOptions): TextMessage {
  return {
    ...messageFields(o),
    type: "text",
    quoteToken: o.quoteToken ?? quoteToken(),
    text,
    ...(o.emojis ? { emojis: o.emojis } : {}),
    ...(o.mention ? { mention: { mentionees: mentionees(text, o.mention) } } : {}),
    ...(o.quotedMessageId === undefined ? {} : { quotedMessageId: o.quotedMessageId }),
  };
}

export function text(text: string, o: TextOptions = {}): Made<MessageEventOf<TextMessage>> {
  return messageEvent(o, textMessage(text, o));
}

export type MediaOptions = MessageOptions & {
  /** Defaults to `{ type: "line" }`: content fetched from LINE by message id. */
  contentProvider?: ContentProvider;
};

export function image(
  o: MediaOptions & Quotable & { imageSet?: { id: string; index?: number; total?: number } } = {},
): Made<MessageEventOf<ImageMessage>> {
  return messageEvent(o, {
    ...messageFields(o),
    type: "image",
    quoteToken: o.quoteToken ?? quoteToken(),
    contentProvider: o.contentProvider ?? { type: "line" },
    ...(o.imageSet ? { imageSet: o.imageSet } : {}),
  });
}

export function video(
  o: MediaOptions & Quotable & { duration?: number } = {},
): Made<MessageEventOf<VideoMessage>> {
  return messageEvent(o, {
    ...messageFields(o),
    type: "video",
    quoteToken: o.quoteToken ?? quoteToken(),
    duration: o.duration ?? 60_000,
    contentProvider: o.contentProvider ?? { type: "line" },
  });
}

export function audio(
  o: MediaOptions & { duration?: number } = {},
): Made<MessageEventOf<AudioMessage>> {
  return messageEvent(o, {
    ...messageFields(o),
    type: "audio",
    duration: o.duration ?? 60_000,
    contentProvider: o.contentProvider ?? { type: "line" },
  });
}

export function file(
  fileName = "file.txt",
  fileSize = 2138,
  o: MessageOptions = {},
): Made<MessageEventOf<FileMessage>> {
  return messageEvent(o, { ...messageFields(o), type: "file", fileName, fileSize });
}

/** Defaults to Tokyo Station. */
export function location(
  latitude = 35.681236,
  longitude = 139.767125,
  o: MessageOptions & { title?: string; address?: string } = {},
): Made<MessageEventOf<LocationMessage>> {
  return messageEvent(o, {
    ...messageFields(o),
    type: "location",
    ...(o.title === undefined ? {} : { title: o.title }),
    ...(o.address === undefined ? {} : { address: o.address }),
    latitude,
    longitude,
  });
}

/** Defaults to a basic LINE sticker (package 446, sticker 1988). */
export function sticker(
  packageId = "446",
  stickerId = "1988",
  o: MessageOptions &
    Quotable & {
      stickerResourceType?: StickerMessage["stickerResourceType"];
      keywords?: string[];
      text?: string;
      quotedMessageId?: string;
    } = {},
): Made<MessageEventOf<StickerMessage>> {
  return messageEvent(o, {
    ...messageFields(o),
    type: "sticker",
    quoteToken: o.quoteToken ?? quoteToken(),
    packageId,
    stickerId,
    stickerResourceType: o.stickerResourceType ?? "STATIC",
    ...(o.keywords ? { keywords: o.keywords } : {}),
    ...(o.text === undefined ? {} : { text: o.text }),
    ...(o.quotedMessageId === undefined ? {} : { quotedMessageId: o.quotedMessageId }),
  });
}

/** An edit of a text message; pass the original's `messageId` to edit a known message. */
export function messageEdited(
  text: string,
  o: TextOptions = {},
): MessageEditedEvent & { message: TextMessage } {
  const { markAsReadToken: _noReadTokenOnEdits, ...rest } = o;
  return {
    type: "messageEdited",
    ...common(o, { chat: user(), replyable: true }),
    message: textMessage(text, rest),
  };
}
