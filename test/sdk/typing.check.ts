/**
 * Compile-time checks of the SDK's typing (run by `tsc --noEmit` in CI, not by `bun test`):
 * each `@ts-expect-error` must stay an error, or tsc fails on the unused directive.
 */
import { definePlugin, z } from "../../src/sdk/mod.ts";

definePlugin({
  name: "typing-check",
  chats: ["group"],
  settings: z.object({ greeting: z.string().default("hi") }),
  on: {
    "message:text": async (event, ctx) => {
      const text: string = event.message.text;
      const groupId: string = event.source.groupId;
      const greeting: string = ctx.settings.greeting;
      // @ts-expect-error a text message has no fileName
      event.message.fileName;
      // @ts-expect-error a group source has no roomId
      event.source.roomId;
      // @ts-expect-error settings are typed by the schema
      ctx.settings.missing;
      await ctx.reply(`${greeting} ${text} ${groupId}`);
    },
    "message:image": (event) => {
      const provider: string = event.message.contentProvider.type;
      // @ts-expect-error an image message has no text
      event.message.text;
      return provider;
    },
    "beacon:enter": (event) => {
      const type: "enter" = event.beacon.type;
      return type;
    },
    follow: (event) => {
      // @ts-expect-error a follow event carries no message
      event.message;
    },
  },
});

definePlugin({
  name: "typing-check-bad-query",
  on: {
    // @ts-expect-error unknown subscription queries do not compile
    "mesage:text": () => {},
  },
});

definePlugin({
  name: "typing-check-any-chat",
  on: {
    "message:text": (event) => {
      // Without a chat filter the source may be any chat (or absent).
      // @ts-expect-error groupId is not known to exist
      const groupId: string = event.source.groupId;
      return groupId;
    },
  },
});

definePlugin({
  name: "typing-check-api",
  chats: ["user"],
  on: {
    "message:text": async (event, ctx) => {
      // ctx.api is the Messaging API client, its other clients typed as its members.
      const { sentMessages } = await ctx.api.pushMessage({ to: event.source.userId, messages: [] });
      const id: string | undefined = sentMessages[0]?.id;
      await ctx.api.blob.setRichMenuImage("richmenu-1", new Blob([]));
      const { followers } = await ctx.api.insight.getNumberOfFollowers();
      const { apps } = await ctx.api.liff.getAllLIFFApps();
      await ctx.api.audience.getAudienceGroups(1);
      await ctx.api.module.releaseChatControl(event.source.userId);
      // @ts-expect-error the channel access token client is not offered
      ctx.api.channelAccessToken;
      // @ts-expect-error the blob client takes a Blob, not a string
      await ctx.api.blob.setRichMenuImage("richmenu-1", "image bytes");
      return [id, followers, apps];
    },
  },
});
