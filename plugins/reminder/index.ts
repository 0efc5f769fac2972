/**
 * reminder: "remind me in 10 minutes to call mum" pushes "⏰ call mum" when it is due, exactly
 * once, also across a crash. It shows the programming model at work: a command with parsed
 * arguments, a Cancel button routed back to this plugin, a dialog for "remind me" alone, a per-user
 * time zone in a session, and a durable job (see README.md).
 */
import type { EventContext } from "hotline";
import { definePlugin, message, quickReply, withQuickReply, z } from "hotline";
import { clockTime, dueAt, isTimeZone, readRequest, readWhen, type When } from "./when.ts";

const settings = z.object({
  /** For "at HH:MM", when the user has not set their own (`timezone Asia/Tokyo`). */
  timeZone: z
    .string()
    .refine(isTimeZone, "must be an IANA time zone, like Asia/Tokyo")
    .default("UTC"),
  /** Pending reminders per chat: a bound on what one chat can make the bot store. */
  maxPerChat: z.number().int().positive().max(1000).default(50),
});

/** What a reminder's schedule carries: where to push, and what. */
const reminderData = z.object({ to: z.string(), text: z.string() });
const USAGE =
  "remind me in <n> <seconds|minutes|hours|days> to <text>, or remind me at <HH:MM> to <text>";
const whenAnswer = z.string().transform((text, issue) => {
  const when = readWhen(text);
  if (when) return when;
  issue.addIssue({ code: "custom", message: "Say “in 10 minutes” or “at 14:30”." });
  return z.NEVER;
});

const cancelData = z.object({ id: z.string() });
const userSession = z.object({ timeZone: z.string().optional() }).default({});
type Ctx = EventContext<
  z.output<typeof settings>,
  { cancel: typeof cancelData },
  { user: typeof userSession }
>;

/** The chat's reminders still to go off, soonest first. */
async function pendingIn(ctx: Ctx, chatId: string | undefined) {
  const jobs = await ctx.schedules.list({ job: "remind" });
  return jobs
    .map((job) => ({ job, data: reminderData.safeParse(job.data).data }))
    .filter(({ data }) => data !== undefined && data.to === chatId)
    .sort((a, b) => a.job.nextRunAt - b.job.nextRunAt);
}

/** Schedules the reminder and confirms it, with a Cancel button. */
async function remind(ctx: Ctx, when: When, text: string): Promise<void> {
  const to = ctx.chat?.id;
  if (!to) return;
  const { maxPerChat } = ctx.settings;
  if ((await pendingIn(ctx, to)).length >= maxPerChat)
    return ctx.reply(`This chat has ${maxPerChat} reminders waiting already.`);
  const timeZone = ctx.session.user.timeZone ?? ctx.settings.timeZone;
  const at = dueAt(when, ctx.now(), timeZone);
  const id = await ctx.schedule("remind", { at, data: { to, text } });
  const confirmation = message.text(`OK, at ${clockTime(at, timeZone)} (${timeZone}): ${text}`);
  const cancel = ctx.postback(
    "cancel",
    { id },
    { label: "Cancel", displayText: "Cancel that reminder" },
  );
  await ctx.reply(withQuickReply(confirmation, [quickReply.action(cancel)]));
}

export default definePlugin({
  name: "reminder",
  description: "Reminders: “remind me in 10 minutes to call mum”",
  settings,
  session: { user: userSession },
  commands: {
    remind: {
      description: "reminds you of something later",
      usage: USAGE,
      args: z.string(),
      handle: async (rest, _event, ctx) => {
        const request = readRequest(rest);
        if (request === "empty") return ctx.dialog("remind");
        if (!request) return ctx.reply(`Sorry, I did not get that. Try: ${USAGE}`);
        await remind(ctx, request.when, request.text);
      },
    },
    reminders: {
      description: "lists the reminders of this chat",
      handle: async (_args, _event, ctx) => {
        const timeZone = ctx.session.user.timeZone ?? ctx.settings.timeZone;
        const mine = await pendingIn(ctx, ctx.chat?.id);
        if (mine.length === 0) return ctx.reply("No reminders.");
        const lines = mine.map(
          ({ job, data }) => `${clockTime(job.nextRunAt, timeZone)} ${data?.text}`,
        );
        await ctx.reply(lines.join("\n"));
      },
    },
    timezone: {
      description: "sets your time zone for “at HH:MM”",
      usage: "timezone <Area/City>",
      args: z.string().refine(isTimeZone, "That is not a time zone I know: try Asia/Tokyo."),
      handle: async (timeZone, _event, ctx) => {
        ctx.session.user.timeZone = timeZone;
        await ctx.reply(`Your time zone is ${timeZone}.`);
      },
    },
  },
  postbacks: {
    cancel: {
      data: cancelData,
      handle: async ({ id }, _event, ctx) => {
        const pending = await ctx.schedules.list({ job: "remind" });
        if (!pending.some((job) => job.id === id))
          return ctx.reply("That reminder already went off or was cancelled.");
        await ctx.schedules.cancel(id);
        await ctx.reply("Cancelled.");
      },
    },
  },
  dialogs: {
    remind: {
      steps: {
        when: { ask: "When? (in 10 minutes, at 14:30)", answer: whenAnswer },
        what: { ask: "What should I remind you of?" },
      },
      done: ({ when, what }, _event, ctx) => remind(ctx, when, what),
    },
  },
  jobs: {
    remind: {
      async handler(data, ctx) {
        const { to, text } = reminderData.parse(data);
        await ctx.push(`⏰ ${text}`, { to });
      },
    },
  },
});
