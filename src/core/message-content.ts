/** The message object inside `message` and `messageEdited` events. */
import { z } from "zod";
import { open, optStr, str, type Typed } from "./schema-kit.ts";

export const KNOWN_MESSAGE_TYPES = [
  "text",
  "image",
  "video",
  "audio",
  "file",
  "location",
  "sticker",
] as const;
export type KnownMessageType = (typeof KNOWN_MESSAGE_TYPES)[number];

const knownMessageTypes: ReadonlySet<string> = new Set(KNOWN_MESSAGE_TYPES);

export function isKnownMessageType(type: string): type is KnownMessageType {
  return knownMessageTypes.has(type);
}

export const contentProviderSchema = z.looseObject({
  type: open<"line" | "external">(),
  /** Only for `external`; content of a `line` provider is fetched by message id. */
  originalContentUrl: optStr,
  previewImageUrl: optStr,
});
export type ContentProvider = Typed<z.infer<typeof contentProviderSchema>>;

const emojiSchema = z.looseObject({
  index: z.number(),
  length: z.number(),
  productId: str,
  emojiId: str,
});
export type Emoji = Typed<z.infer<typeof emojiSchema>>;

// One loose object rather than a user/all union, so a mentionee type LINE adds later still parses.
const mentioneeSchema = z.looseObject({
  type: open<"user" | "all">(),
  index: z.number(),
  length: z.number(),
  /** `user` only, and only with the user's consent. */
  userId: optStr,
  /** `user` only: true when the bot receiving the webhook is the one mentioned. */
  isSelf: z.boolean().optional(),
});
export type Mentionee = Typed<z.infer<typeof mentioneeSchema>>;

const mentionSchema = z.looseObject({ mentionees: z.array(mentioneeSchema) });
export type Mention = Typed<z.infer<typeof mentionSchema>>;

const messageShape = {
  id: str,
  /** Edit events carry none. */
  markAsReadToken: optStr,
};

export const textMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("text"),
  text: str,
  // Required by the OpenAPI file, missing from most SDK examples.
  quoteToken: optStr,
  emojis: z.array(emojiSchema).optional(),
  mention: mentionSchema.optional(),
  quotedMessageId: optStr,
});
export const imageMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("image"),
  contentProvider: contentProviderSchema,
  /** Several images sent at once; index/total are missing from old Android clients. */
  imageSet: z
    .looseObject({ id: str, index: z.number().optional(), total: z.number().optional() })
    .optional(),
  quoteToken: optStr,
});
export const videoMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("video"),
  /** Milliseconds. */
  duration: z.number().optional(),
  contentProvider: contentProviderSchema,
  quoteToken: optStr,
});
export const audioMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("audio"),
  /** Milliseconds. */
  duration: z.number().optional(),
  contentProvider: contentProviderSchema,
});
export const fileMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("file"),
  fileName: str,
  /** Bytes. */
  fileSize: z.number(),
});
export const locationMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("location"),
  title: optStr,
  address: optStr,
  latitude: z.number(),
  longitude: z.number(),
});
export const stickerMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("sticker"),
  packageId: str,
  stickerId: str,
  stickerResourceType: open<
    | "STATIC"
    | "ANIMATION"
    | "SOUND"
    | "ANIMATION_SOUND"
    | "POPUP"
    | "POPUP_SOUND"
    | "CUSTOM"
    | "MESSAGE"
    | "NAME_TEXT"
    | "PER_STICKER_TEXT"
  >(),
  /** Experimental on LINE's side: up to 15, a random pick each time. */
  keywords: z.array(str).optional(),
  /** Message stickers only. */
  text: optStr,
  quoteToken: optStr,
  quotedMessageId: optStr,
});

export const messageContentSchema = z.discriminatedUnion("type", [
  textMessageSchema,
  imageMessageSchema,
  videoMessageSchema,
  audioMessageSchema,
  fileMessageSchema,
  locationMessageSchema,
  stickerMessageSchema,
]);

export type TextMessage = Typed<z.infer<typeof textMessageSchema>>;
export type ImageMessage = Typed<z.infer<typeof imageMessageSchema>>;
export type VideoMessage = Typed<z.infer<typeof videoMessageSchema>>;
export type AudioMessage = Typed<z.infer<typeof audioMessageSchema>>;
export type FileMessage = Typed<z.infer<typeof fileMessageSchema>>;
export type LocationMessage = Typed<z.infer<typeof locationMessageSchema>>;
export type StickerMessage = Typed<z.infer<typeof stickerMessageSchema>>;
export type MessageContent = Typed<z.infer<typeof messageContentSchema>>;
