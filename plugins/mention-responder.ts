/**
 * mention-responder: answers commands addressed to the bot in group and room chats.
 *
 * "@Hotline ping" gets "pong", quoting the message so everyone sees whom the bot answers. Each
 * configured word is a command, registered in `setup` from the settings; the host cuts the bot's
 * mention out wherever it stands ("ping @Hotline" works too), reads the first word, lists the
 * commands on `help` and suggests the nearest one for a typo. A mention that no plugin answered
 * gets `unknownCommandReply`, from a fallback: a mention another plugin's command handled is not
 * answered twice. Messages that do not mention the bot are left alone, including "@All" ones: a
 * group would not want the bot to answer every announcement.
 */
import type { EventFor, Mentionee } from "hotline";
import { definePlugin, fallback, message, z } from "hotline";

/** LINE's limit for one text message, in UTF-16 code units. */
const replyText = z.string().min(1).max(5000);

const settings = z.object({
  /** Command (one word, matched ignoring case) → reply text. */
  commands: z
    .record(z.string(), replyText)
    .superRefine((commands, ctx) => {
      const seen = new Set<string>();
      for (const name of Object.keys(commands)) {
        // Only a request's first word is matched: a name with a space could never match.
        if (!/^[^\s/]\S{0,31}$/u.test(name)) {
          ctx.addIssue({
            code: "custom",
            path: [name],
            message: 'must be one word of at most 32 characters, without a leading "/"',
          });
        }
        const folded = name.toLowerCase();
        if (seen.has(folded)) {
          ctx.addIssue({
            code: "custom",
            path: [name],
            message: "defined twice (case is ignored)",
          });
        }
        seen.add(folded);
      }
    })
    .default({ ping: "pong" }),
  /** The reply to a mention that names no command (of this plugin or any other). */
  unknownCommandReply: replyText.default(
    'Sorry, I don\'t know that one. Mention me with "help" to see what I can do.',
  ),
});

/**
 * Whether a mentionee is this bot. LINE marks it with `isSelf`; where that is missing, the bot's
 * user id (the webhook's `destination`) still tells. Either id may be absent (no `destination`, or
 * a user who has not consented to share theirs), and two absent ids are not a match.
 */
function isBot(mentionee: Mentionee, botUserId: string | undefined): boolean {
  if (mentionee.isSelf === true) return true;
  return botUserId !== undefined && mentionee.userId === botUserId;
}

/** A reply quoting the message, so the group sees whom the bot answers. */
function quoting(text: string, event: EventFor<"message:text">) {
  return message.text(text, { quoteToken: event.message.quoteToken });
}

/** How `help` describes a command: what it answers, cut short. */
function describeReply(text: string): string {
  const line = text.replace(/\s+/g, " ");
  return `answers "${line.length > 40 ? `${line.slice(0, 39)}…` : line}"`;
}

export default definePlugin({
  name: "mention-responder",
  description: "Answers commands in group and room chats when the bot is mentioned",
  // 1:1 chats are echo's; nobody mentions the bot there anyway.
  chats: ["group", "room"],
  // No `standby: true`: in standby mode another channel has the chat and the bot must stay silent.
  settings,
  setup(ctx) {
    for (const [word, text] of Object.entries(ctx.settings.commands)) {
      ctx.command(word, {
        description: describeReply(text),
        // The first word picks the command; what follows it does not change the answer.
        args: z.string(),
        handle: (_rest, event, c) => c.reply(quoting(text, event)),
      });
    }
  },
  on: {
    // Runs only when nothing took the message: no command (this plugin's or another's), no
    // `help`, no "did you mean", no other plugin's handler.
    "message:text": fallback(async (event, ctx) => {
      const mentionees = event.message.mention?.mentionees ?? [];
      if (!mentionees.some((mentionee) => isBot(mentionee, ctx.destination))) return;
      await ctx.reply(quoting(ctx.settings.unknownCommandReply, event));
    }),
  },
});
