/**
 * Compile-time checks of jobs and schedules (run by `tsc --noEmit` in CI, not by `bun test`):
 * each `@ts-expect-error` must stay an error, or tsc fails on the unused directive.
 */
import { definePlugin, type JobContext, z } from "../../src/sdk/mod.ts";

definePlugin({
  name: "typing-jobs",
  settings: z.object({ to: z.string().default("U0") }),
  jobs: {
    remind: {
      // The data's type is the handler's to say (it is JSON the plugin scheduled itself).
      async handler(data: { text: string }, ctx) {
        const to: string = ctx.settings.to;
        const when: number = ctx.scheduledAt;
        const id: string = ctx.scheduleId;
        await ctx.push(`${data.text} ${when} ${id}`, { to });
        // @ts-expect-error a job has no chat: a push names its recipient
        await ctx.push("nowhere");
        // @ts-expect-error a job has no event to reply to
        await ctx.reply("no");
        // @ts-expect-error settings are typed by the schema
        ctx.settings.missing;
      },
    },
    daily: { cron: "0 9 * * *", timeZone: "Asia/Tokyo", handler: () => {} },
    // @ts-expect-error a job needs a handler
    broken: { every: 60_000 },
  },
  on: {
    "message:text": async (event, ctx) => {
      const id: string = await ctx.schedule("remind", { after: 1000, data: { text: "hi" } });
      await ctx.schedule("remind", { at: new Date(), id: `remind:${event.message.id}` });
      await ctx.schedule("daily", { cron: "*/5 * * * *", timeZone: "UTC" });
      // @ts-expect-error a time zone goes with a cron expression only
      await ctx.schedule("remind", { after: 1000, timeZone: "UTC" });
      // @ts-expect-error when to run is required
      await ctx.schedule("remind", { data: 1 });
      await ctx.schedules.cancel(id);
      const listed = await ctx.schedules.list({ job: "remind" });
      const status: "scheduled" | "running" | "dead" | undefined = listed[0]?.status;
      return status;
    },
  },
});

/** A job's context is usable where the version's context is. */
export function prune(ctx: JobContext<{ keepDays: number }>): number {
  return ctx.now() - ctx.settings.keepDays * 86_400_000;
}
