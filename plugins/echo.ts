/**
 * echo: says back what it is told. A text gets the same text; a sticker gets the same sticker,
 * when it is one that bots are allowed to send.
 *
 * The smallest useful plugin, and a good one to copy: a settings schema with defaults, one
 * handler per message type, and the platform limits a real bot runs into. Its handlers are
 * fallbacks: a command, a postback route or another plugin's handler takes a message first, and
 * echo repeats only what nobody else answered.
 */
import type { ChatRef } from "hotline";
import { definePlugin, fallback, message, z } from "hotline";

/**
 * The sticker packages a bot may send: LINE's basic stickers. Users also send store and creator
 * stickers, which a bot cannot send, so those get `unsendableStickerReply` instead. A sticker id
 * belongs to exactly one package: checking the package is enough.
 *
 * Source: "Sticker definitions" in LINE's "Stickers" page,
 * https://developers.line.biz/en/docs/messaging-api/sticker-list/ (referenced from the sticker
 * message object in the Messaging API reference). Update this list when that page changes.
 */
const SENDABLE_STICKER_PACKAGES: ReadonlySet<string> = new Set([
  "446",
  "789",
  "1070",
  "6136",
  "6325",
  "6359",
  "6362",
  "6370",
  "6632",
  "8515",
  "8522",
  "8525",
  "11537",
  "11538",
  "11539",
]);

/** A text message may hold at most 5,000 UTF-16 code units; a user may send more than that. */
const MAX_TEXT_LENGTH = 5000;

const settings = z.object({
  /** Where echo answers: "user" (1:1 chats), "group", "room". */
  chats: z.array(z.enum(["user", "group", "room"])).default(["user"]),
  /** Answer to a sticker bots may not send; null answers nothing. */
  unsendableStickerReply: z
    .string()
    .min(1)
    .max(MAX_TEXT_LENGTH)
    .nullable()
    .default("I can't send that sticker back: bots may only send LINE's basic stickers."),
});

type Settings = z.output<typeof settings>;

/**
 * Whether the event's chat is one echo answers in. Checked in the handler rather than declared
 * with `chats`, because the chat types come from the settings.
 */
function answersIn(chat: ChatRef | undefined, settings: Settings): boolean {
  return chat !== undefined && settings.chats.includes(chat.type);
}

/**
 * Cuts a text into messages LINE accepts (up to five go in one reply; the host pushes any more).
 * A cut never falls between the two halves of a surrogate pair, so no emoji is broken in two.
 */
function splitText(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + MAX_TEXT_LENGTH, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

export default definePlugin({
  name: "echo",
  description: "Says back the text or sticker it receives (1:1 chats by default)",
  settings,
  // No `standby: true`: in standby mode another channel has the chat and the bot must stay silent.
  on: {
    // The text is echoed as received: mentions stay "@name", LINE emojis stay "(love)". Re-sending
    // them as mentions or emojis would need substitution objects and sendable emoji ids.
    "message:text": fallback(async (event, ctx) => {
      if (!answersIn(ctx.chat, ctx.settings)) return;
      await ctx.reply(...splitText(event.message.text));
    }),

    "message:sticker": fallback(async (event, ctx) => {
      if (!answersIn(ctx.chat, ctx.settings)) return;
      const { packageId, stickerId } = event.message;
      if (SENDABLE_STICKER_PACKAGES.has(packageId)) {
        await ctx.reply(message.sticker(packageId, stickerId));
      } else if (ctx.settings.unsendableStickerReply !== null) {
        await ctx.reply(ctx.settings.unsendableStickerReply);
      }
    }),
  },
});
