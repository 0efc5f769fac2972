import { definePlugin, message, z } from "hotline";

export default definePlugin({
  name: "echo",
  description: "Echoes text and stickers back in 1:1 chats",
  settings: z.object({
    chats: z.array(z.enum(["user", "group", "room"])).default(["user"]),
  }),
  on: {
    "message:text": async (event, ctx) => {
      if (!ctx.settings.chats.includes(event.source?.type ?? "user")) return;
      await ctx.reply(message.text(event.message.text));
    },
  },
});
