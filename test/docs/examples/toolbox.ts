import { definePlugin, z } from "hotline";

const GRAMS = { g: 1, kg: 1000, oz: 28.35, lb: 453.59 };
const unit = z.enum(["g", "kg", "oz", "lb"], { error: "units are g, kg, oz and lb" });

export default definePlugin({
  name: "toolbox",
  description: "Converts weights, and shouts",
  settings: z.object({ listWord: z.string().default("units") }),
  commands: {
    convert: {
      description: "converts a weight",
      usage: "convert <amount> <from> <to>",
      aliases: ["cv"],
      // A tuple gets the words: "convert 2 lb kg" → [2, "lb", "kg"].
      args: z.tuple([z.coerce.number({ error: "amount must be a number" }).positive(), unit, unit]),
      handle: async ([amount, from, to], _event, ctx) => {
        const result = (amount * GRAMS[from]) / GRAMS[to];
        await ctx.reply(`${amount} ${from} = ${Number(result.toFixed(2))} ${to}`);
      },
    },
    shout: {
      description: "repeats the text in capitals",
      usage: "shout <text>",
      // A string schema gets the whole rest of the text.
      args: z.string().min(1, "say what to shout"),
      // Counts in a group without mentioning the bot.
      mention: false,
      handle: (text, _event, ctx) => ctx.reply(text.toUpperCase()),
    },
  },
  setup(ctx) {
    // A command whose word comes from the settings is registered here instead.
    ctx.command(ctx.settings.listWord, {
      description: "lists the units",
      handle: (_args, _event, c) => c.reply(Object.keys(GRAMS).join(", ")),
    });
  },
});
