/**
 * Compile-time checks of commands, postback routes and fallbacks (run by `tsc --noEmit`): each
 * `@ts-expect-error` must stay an error.
 */
import {
  definePlugin,
  fallback,
  message,
  quickReply,
  withQuickReply,
  z,
} from "../../src/sdk/mod.ts";

definePlugin({
  name: "typing-commands",
  chats: ["group"],
  settings: z.object({ list: z.string().default("todo") }),
  commands: {
    add: {
      description: "adds an item",
      args: z.string().min(1),
      handle: async (args, event, ctx) => {
        const text: string = args;
        const groupId: string = event.source.groupId;
        // @ts-expect-error args is a string
        args.toFixed();
        await ctx.reply(
          withQuickReply(message.text(`${text} ${groupId} ${ctx.settings.list}`), [
            quickReply.action(ctx.postback("done", { id: 1 }, { label: "Done" })),
          ]),
        );
        // @ts-expect-error the route's data is checked by its schema
        ctx.postback("done", { id: "1" }, { label: "Done" });
        // @ts-expect-error no such route
        ctx.postback("undo", { id: 1 }, { label: "Undo" });
      },
    },
    take: {
      description: "takes n items",
      args: z.tuple([z.coerce.number().int(), z.string()]),
      handle: (args) => {
        const n: number = args[0];
        const what: string = args[1];
        return `${n} ${what}`;
      },
    },
    list: {
      description: "lists the items",
      handle: (args, _event, ctx) => {
        const none: undefined = args;
        ctx.datetimePicker("due", { id: 2 }, { label: "Due", mode: "date" });
        return none;
      },
    },
  },
  postbacks: {
    done: {
      data: z.object({ id: z.number().int() }),
      handle: (data, event) => {
        const id: number = data.id;
        const params = event.postback.params;
        // @ts-expect-error data is typed by its schema
        data.name;
        return [id, params];
      },
    },
    due: {
      data: z.object({ id: z.number() }),
      handle: (data) => data.id,
    },
  },
  on: {
    "message:text": fallback(async (event, ctx) => {
      const text: string = event.message.text;
      const groupId: string = event.source.groupId;
      const list: string = ctx.settings.list;
      // @ts-expect-error a text message has no fileName
      event.message.fileName;
      // @ts-expect-error no such route, in a fallback too
      ctx.postback("undo", { id: 1 }, { label: "Undo" });
      await ctx.reply(`${text} ${groupId} ${list}`);
    }),
  },
  setup(ctx) {
    ctx.command("ping", {
      description: "pong",
      args: z.string(),
      handle: async (args, _event, c) => {
        const rest: string = args;
        await c.reply(rest);
      },
    });
  },
});

// Without settings, chats or postbacks (nothing for the fallback's types to come from but `on`).
definePlugin({
  name: "typing-fallback-alone",
  on: {
    "message:text": fallback(async (event, ctx) => {
      const text: string = event.message.text;
      // @ts-expect-error the source may be any chat, or absent
      const groupId: string = event.source.groupId;
      // @ts-expect-error no settings
      ctx.settings.missing.length;
      await ctx.reply(`${text} ${groupId}`);
    }),
    "message:sticker": fallback((event) => {
      const packageId: string = event.message.packageId;
      // @ts-expect-error a sticker has no fileName
      event.message.fileName;
      return packageId;
    }),
  },
});

definePlugin({
  name: "typing-bad-command",
  commands: {
    add: {
      description: "adds",
      args: z.string(),
      // @ts-expect-error the arguments are a string, not a number
      handle: (args: number) => args,
    },
    // @ts-expect-error a command needs a description
    list: { handle: () => {} },
  },
});
