/**
 * A to-do list per chat: `add <item>`, `list` with a Done button per item, and `clear`, which asks
 * first. No parsing, mention handling, postback encoding or state plumbing of its own: commands,
 * postback routes, a chat session and a dialog do it.
 */
import { definePlugin, message, quickReply, withQuickReply, z } from "hotline";

const Item = z.object({ id: z.number().int(), text: z.string(), done: z.boolean() });

export default definePlugin({
  name: "todo",
  description: "A to-do list per chat",
  session: {
    chat: z
      .object({ items: z.array(Item), next: z.number().int() })
      .default({ items: [], next: 1 }),
  },
  commands: {
    add: {
      description: "adds an item",
      usage: "add <item>",
      args: z.string().min(1, "say what to add"),
      handle: async (text, _event, ctx) => {
        const list = ctx.session.chat;
        list.items.push({ id: list.next++, text, done: false });
        await ctx.reply(`Added “${text}” (${list.items.length} on the list)`);
      },
    },
    list: {
      description: "shows the list",
      handle: async (_args, _event, ctx) => {
        const { items } = ctx.session.chat;
        if (items.length === 0) return ctx.reply("Nothing to do.");
        const lines = items.map((item) => `${item.done ? "✓" : "☐"} ${item.id}. ${item.text}`);
        const open = items.filter((item) => !item.done).slice(0, 13);
        const buttons = open.map((item) =>
          quickReply.action(ctx.postback("done", { id: item.id }, { label: `Done ${item.id}` })),
        );
        await ctx.reply(withQuickReply(message.text(lines.join("\n")), buttons));
      },
    },
    clear: {
      description: "empties the list, after asking",
      handle: (_args, _event, ctx) => ctx.dialog("clear"),
    },
  },
  postbacks: {
    done: {
      data: z.object({ id: z.number().int() }),
      handle: async ({ id }, _event, ctx) => {
        const item = ctx.session.chat.items.find((candidate) => candidate.id === id);
        if (!item) return ctx.reply("That item is gone.");
        item.done = true;
        await ctx.reply(`Done: ${item.text}`);
      },
    },
  },
  dialogs: {
    clear: {
      steps: {
        sure: {
          ask: "Clear the whole list? (yes/no)",
          answer: z.enum(["yes", "no"], "yes or no?"),
        },
      },
      done: async ({ sure }, _event, ctx) => {
        if (sure === "yes") ctx.session.chat = { items: [], next: 1 };
        await ctx.reply(sure === "yes" ? "Cleared." : "Kept it.");
      },
    },
  },
});
