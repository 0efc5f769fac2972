import { definePlugin, z } from "hotline";

const reminder = z.object({ to: z.string(), text: z.string() });

export default definePlugin({
  name: "reminders",
  jobs: {
    // Scheduled by a handler below: once, with its data.
    remind: {
      async handler(data, ctx) {
        const { to, text } = reminder.parse(data);
        await ctx.push(`⏰ ${text}`, { to });
      },
    },
    // Recurring: 9:00 every weekday, New York time (daylight saving included).
    standup: {
      cron: "0 9 * * 1-5",
      timeZone: "America/New_York",
      handler: (_data, ctx) =>
        ctx.push("Stand-up in 5 minutes", { to: "C0123456789abcdef0123456789abcdef" }),
    },
  },
  on: {
    "message:text": async (event, ctx) => {
      // "remind 10 tea" → "⏰ tea" in ten minutes, in this chat; "cancel <id>" stops it.
      const [word, arg, ...text] = event.message.text.split(" ");
      if (word === "cancel" && arg) {
        await ctx.schedules.cancel(arg);
        await ctx.reply("Cancelled.");
      }
      if (word !== "remind" || !ctx.chat) return;
      const id = await ctx.schedule("remind", {
        after: Number(arg) * 60_000,
        data: { to: ctx.chat.id, text: text.join(" ") },
      });
      await ctx.reply(`OK. "cancel ${id}" to stop it.`);
    },
  },
});
