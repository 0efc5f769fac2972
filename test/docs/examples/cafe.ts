import { action, definePlugin, z } from "hotline";

const image = new URL("./cafe.png", import.meta.url); // 1200×405, beside this file
const left = { x: 0, y: 0, width: 600, height: 405 };
const right = { x: 600, y: 0, width: 600, height: 405 };

export default definePlugin({
  name: "cafe",
  chats: ["user"], // LINE shows rich menus in 1:1 chats
  postbacks: {
    page: {
      data: z.object({ page: z.enum(["drinks", "food"]) }),
      handle: (data, _event, ctx) =>
        ctx.reply(data.page === "drinks" ? "Latte, tea, lemonade." : "Toast, soup, cake."),
    },
  },
  commands: {
    regular: {
      description: "shows you the regulars' menu",
      handle: async (_args, event, ctx) => {
        await ctx.richMenu.link(event.source.userId, "regulars");
        await ctx.reply("Welcome back! Your menu is below.");
      },
    },
  },
  richMenus: {
    main: {
      size: { width: 1200, height: 405 },
      chatBarText: "Menu",
      image,
      default: true, // everyone sees it, until linked to another
      alias: "cafe-main",
      areas: [
        // A route action: the tap comes back to `page`, signed, with this data.
        { bounds: left, action: { route: "page", data: { page: "drinks" }, label: "Drinks" } },
        { bounds: right, action: { route: "page", data: { page: "food" }, label: "Food" } },
      ],
    },
    regulars: {
      size: { width: 1200, height: 405 },
      chatBarText: "Regulars",
      image,
      alias: "cafe-regulars",
      areas: [
        { bounds: left, action: { route: "page", data: { page: "drinks" }, label: "The usual" } },
        { bounds: right, action: action.richMenuSwitch("Full menu", "cafe-main", "full-menu") },
      ],
    },
  },
});
