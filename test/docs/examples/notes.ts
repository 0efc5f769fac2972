import { definePlugin, z } from "hotline";
import { count, eq, integer, lt, table, text } from "hotline/db";

const DAY = 86_400_000;

export const notes = table("notes__entries", {
  messageId: text("message_id").primaryKey(),
  userId: text("user_id").notNull(),
  text: text("text").notNull(),
  at: integer("at").notNull(),
});

export default definePlugin({
  name: "notes",
  chats: ["user"],
  tables: { notes },
  setup(ctx) {
    ctx.route("GET", "/count", async () => {
      const [row] = await ctx.db.select({ n: count() }).from(notes);
      return Response.json(row ?? { n: 0 });
    });
  },
  jobs: {
    prune: {
      every: 60 * 60_000,
      async handler(_data, ctx) {
        await ctx.db.delete(notes).where(lt(notes.at, ctx.now() - 30 * DAY));
      },
    },
  },
  commands: {
    note: {
      description: "keeps a note",
      usage: "note <text>",
      args: z.string().min(1, "say what to note"),
      handle: async (note, event, ctx) => {
        const userId = event.source.userId;
        // Keyed by the message id: a retried delivery does not add the note twice.
        await ctx.db
          .insert(notes)
          .values({ messageId: event.message.id, userId, text: note, at: ctx.now() })
          .onConflictDoNothing();
        const [mine] = await ctx.db
          .select({ n: count() })
          .from(notes)
          .where(eq(notes.userId, userId));
        await ctx.reply(`Noted (${mine?.n ?? 0} so far).`);
      },
    },
  },
});
