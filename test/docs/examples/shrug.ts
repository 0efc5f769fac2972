import { definePlugin, fallback } from "hotline";

export default definePlugin({
  name: "shrug",
  // Below echo (priority 0): echo's fallbacks answer texts and stickers first.
  priority: -10,
  chats: ["user"],
  on: {
    // Any message nothing else took: a location, a file, an image when no archiver runs.
    message: fallback((event, ctx) =>
      ctx.reply(`I can't do anything with a ${event.message.type} message, sorry.`),
    ),
  },
});
