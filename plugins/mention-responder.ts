/**
 * mention-responder: answers commands addressed to the bot in group and room chats.
 *
 * "@Hotline ping" gets "pong", quoting the message so everyone sees whom the bot answers. The
 * command is the first word of the text once the bot's mention is cut out, so the mention can
 * stand anywhere: "ping @Hotline" works too. Messages that do not mention the bot are left alone,
 * including "@All" ones: a group would not want the bot to answer every announcement.
 */
import type { Mentionee } from "hotline";
import { definePlugin, message, z } from "hotline";

/** Always understood: lists the commands (unless `commands` defines its own "help"). */
const HELP = "help";

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
        if (!/^\S+$/.test(name)) {
          ctx.addIssue({ code: "custom", path: [name], message: "must be one word" });
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
  /** The reply to a command that is not in `commands`. */
  unknownCommandReply: replyText.default(
    'Sorry, I don\'t know that one. Mention me with "help" to see what I can do.',
  ),
});

type Settings = z.output<typeof settings>;

/**
 * Whether a mentionee is this bot. LINE marks it with `isSelf`; where that is missing, the bot's
 * user id (the webhook's `destination`) still tells. Either id may be absent (no `destination`, or
 * a user who has not consented to share theirs), and two absent ids are not a match.
 */
function isBot(mentionee: Mentionee, botUserId: string | undefined): boolean {
  if (mentionee.isSelf === true) return true;
  return botUserId !== undefined && mentionee.userId === botUserId;
}

/**
 * Cuts mentions out of a text. Their `index` and `length` count UTF-16 code units, the same units
 * as JavaScript string positions, so `slice` is right even with emoji before or inside a mention
 * (iterating code points, with `[...text]` or `Array.from`, would not be).
 */
function withoutMentions(text: string, mentions: readonly Mentionee[]): string {
  let rest = text;
  // From the last to the first: cutting one leaves the positions of those before it unchanged.
  for (const { index, length } of [...mentions].sort((a, b) => b.index - a.index)) {
    rest = rest.slice(0, index) + rest.slice(index + length);
  }
  return rest.trim();
}

/** The built-in help: every configured command, then "help" itself. */
function helpText(commands: Settings["commands"]): string {
  return `Mention me with a command: ${[...Object.keys(commands), HELP].join(", ")}`;
}

/** The reply to a request: its first word picks the command; a bare mention asks for help. */
function replyFor(request: string, settings: Settings): string {
  const word = (request.split(/\s+/, 1)[0] || HELP).toLowerCase();
  const command = Object.entries(settings.commands).find(([name]) => name.toLowerCase() === word);
  if (command) return command[1];
  if (word === HELP) return helpText(settings.commands);
  return settings.unknownCommandReply;
}

export default definePlugin({
  name: "mention-responder",
  description: "Answers commands in group and room chats when the bot is mentioned",
  // 1:1 chats are echo's; nobody mentions the bot there anyway.
  chats: ["group", "room"],
  // No `standby: true`: in standby mode another channel has the chat and the bot must stay silent.
  settings,
  on: {
    "message:text": async (event, ctx) => {
      const mentionees = event.message.mention?.mentionees ?? [];
      if (!mentionees.some((mentionee) => isBot(mentionee, ctx.destination))) return;

      // The bot's mentions and "@All" only say who is addressed. Mentions of other users stay in
      // the request: in "@Hotline hug @Alice" they are what the command is about.
      const addressing = mentionees.filter(
        (mentionee) => mentionee.type === "all" || isBot(mentionee, ctx.destination),
      );
      const request = withoutMentions(event.message.text, addressing);
      await ctx.reply(
        message.text(replyFor(request, ctx.settings), { quoteToken: event.message.quoteToken }),
      );
    },
  },
});
