/**
 * The plugin the rich menu tests load: a folder plugin (`shop/index.ts`) shipping its menus'
 * images beside it, so that editing either reloads it. Its default menu's first area goes to a
 * postback route, its second switches to the VIP menu; `vip` links a user to that menu, `plain`
 * unlinks them, `menu <name>` links the menu named (or says why not).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPluginsDir } from "../../src/dev/testing/mod.ts";
import { samplePng } from "../e2e/png.ts";

export const MENU_SIZE = { width: 800, height: 270 };

export interface ShopOptions {
  /** The plugin's name (default "shop"). */
  name?: string;
  /** What the route's reply starts with: changing it changes no menu. */
  greeting?: string;
  /** Declare the VIP menu too (default true). */
  vip?: boolean;
  /** The main menu's alias (default "shop-main"). */
  alias?: string;
  /** Whether the main menu is the default (default true). */
  default?: boolean;
  /** Put before each command's word (a second shop beside the first: "club-"). */
  commandPrefix?: string;
}

export function shopSource(options: ShopOptions = {}): string {
  const { name = "shop", greeting = "orders", vip = true, alias = "shop-main" } = options;
  const prefix = options.commandPrefix ?? "";
  const vipMenu = `
    vip: {
      size: ${JSON.stringify(MENU_SIZE)},
      chatBarText: "VIP",
      image: new URL("./vip.png", import.meta.url),
      alias: "${name}-vip",
      areas: [
        { bounds: { x: 0, y: 0, width: 800, height: 270 }, action: { route: "orders", data: { page: 2 }, label: "VIP orders" } },
      ],
    },`;
  return `import { action, definePlugin, z } from "hotline";

export default definePlugin({
  name: "${name}",
  postbacks: {
    orders: {
      data: z.object({ page: z.number() }),
      handle: async (data, _event, ctx) => { await ctx.reply("${greeting}, page " + data.page); },
    },
  },
  commands: {
    "${prefix}vip": {
      description: "Shows the VIP menu",
      handle: async (_args, event, ctx) => {
        await ctx.richMenu.link(event.source.userId, "vip");
        await ctx.reply("welcome, VIP");
      },
    },
    "${prefix}plain": {
      description: "Back to the main menu",
      handle: async (_args, event, ctx) => {
        await ctx.reply("unlinked: " + (await ctx.richMenu.unlink(event.source.userId)));
      },
    },
    "${prefix}menu": {
      description: "Links a menu by name",
      args: z.string(),
      handle: async (name, event, ctx) => {
        try {
          await ctx.richMenu.link(event.source.userId, name);
          await ctx.reply("linked " + name);
        } catch (error) {
          await ctx.reply("refused: " + error.message);
        }
      },
    },
  },
  richMenus: {
    main: {
      size: ${JSON.stringify(MENU_SIZE)},
      chatBarText: "Shop",
      image: new URL("./main.png", import.meta.url),
      ${alias ? `alias: "${alias}",` : ""}
      default: ${options.default ?? true},
      areas: [
        { bounds: { x: 0, y: 0, width: 400, height: 270 }, action: { route: "orders", data: { page: 1 }, label: "Orders" } },
        { bounds: { x: 400, y: 0, width: 400, height: 270 }, action: action.richMenuSwitch("VIP", "${name}-vip", "to-vip") },
      ],
    },${vip ? vipMenu : ""}
  },
});
`;
}

/** A plugins directory holding the shop; `write` rewrites its source or an image. */
export function shopDir(options: ShopOptions = {}) {
  const plugins = createPluginsDir();
  const folder = options.name ?? "shop";
  const write = {
    source: (source: ShopOptions = {}) =>
      plugins.write(`${folder}/index.ts`, shopSource({ ...options, ...source })),
    image: (file: "main.png" | "vip.png", tint = 0, size = MENU_SIZE) => {
      mkdirSync(join(plugins.dir, folder), { recursive: true });
      writeFileSync(join(plugins.dir, folder, file), samplePng(size.width, size.height, tint));
    },
  };
  write.image("main.png");
  write.image("vip.png", 40);
  write.source();
  return {
    dir: plugins.dir,
    write,
    removePlugin: () => rmSync(join(plugins.dir, folder), { recursive: true, force: true }),
    remove: plugins.remove,
  };
}
