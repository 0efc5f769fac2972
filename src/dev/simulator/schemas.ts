/** What the page may ask of the simulator's API: one schema per request. */
import { z } from "zod";
import { PEOPLE } from "./cast.ts";

const personId = z.enum(PEOPLE.map((p) => p.id) as [string, ...string[]]);
const chatKind = z.enum(["user", "group"]);

/** Something a person does in a chat: say something, unsend it, walk past a beacon… */
export const sendSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("text"),
    chat: chatKind,
    user: personId,
    text: z.string().trim().min(1).max(5000),
  }),
  z.strictObject({
    type: z.literal("sticker"),
    chat: chatKind,
    user: personId,
    packageId: z.string().regex(/^\d+$/).default("446"),
    stickerId: z.string().regex(/^\d+$/).default("1988"),
  }),
  z.strictObject({
    type: z.literal("unsend"),
    chat: chatKind,
    user: personId,
    messageId: z.string().min(1).max(64),
  }),
  z.strictObject({
    type: z.literal("beacon"),
    user: personId,
    hwid: z
      .string()
      .regex(/^[0-9a-f]{10}$/, "a beacon hardware id is 10 hex digits")
      .default("d41d8cd98f"),
    beacon: z.enum(["enter", "banner", "stay"]).default("enter"),
  }),
  /** A tap on a postback or datetime picker action in something the bot sent. */
  z.strictObject({
    type: z.literal("postback"),
    chat: chatKind,
    user: personId,
    data: z.string().max(300),
    label: z.string().max(40).optional(),
    /** Shown in the chat as the user's message, as LINE shows it. */
    displayText: z.string().min(1).max(300).optional(),
    /** A datetime picker's choice, by its mode. */
    params: z
      .strictObject({
        date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
        time: z.string().regex(/^\d{2}:\d{2}$/),
        datetime: z.string().regex(/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}$/),
      })
      .partial()
      .optional(),
  }),
  /** A tap on a rich menu switch action: the menu changes, and a postback event says so. */
  z.strictObject({
    type: z.literal("richmenuswitch"),
    user: personId,
    aliasId: z.string().min(1).max(32),
    data: z.string().max(300),
    label: z.string().max(40).optional(),
  }),
  z.strictObject({ type: z.literal("follow"), user: personId }),
  z.strictObject({ type: z.literal("unfollow"), user: personId }),
]);
export type SendAction = z.output<typeof sendSchema>;

/** Whose rich menu to show. */
export const richMenuQuery = z.strictObject({ user: personId });

/** An upload's query string; the body is the file. */
export const uploadQuery = z.strictObject({
  chat: chatKind,
  user: personId,
  name: z.string().min(1).max(255).default("upload"),
});
export type UploadQuery = z.output<typeof uploadQuery>;

/** Open the sign-in link from the bot's reply and sign in as `providerUserId`. */
export const accountLinkSchema = z.strictObject({
  user: personId,
  url: z.url(),
  providerUserId: z.string().trim().min(1).max(255),
});
export type AccountLinkInput = z.output<typeof accountLinkSchema>;

/** The LINE channel the next events go to ("default", or one of the config file's). */
export const channelChoice = z.strictObject({ channel: z.string().min(1).max(32) });
