/**
 * Compile-time checks of rich menus' typing (run by `tsc --noEmit` in CI, not by `bun test`): an
 * area's route action is typed by the plugin's postback routes.
 */
import { action, definePlugin, z } from "../../src/sdk/mod.ts";

const image = new URL("./menu.png", import.meta.url);
const bounds = { x: 0, y: 0, width: 800, height: 270 };

definePlugin({
  name: "typing-rich-menus",
  postbacks: {
    open: { data: z.object({ id: z.number() }), handle: () => {} },
  },
  commands: {
    vip: {
      description: "links the menu",
      handle: async (_args, event, ctx) => {
        await ctx.richMenu.link(event.source?.userId ?? "", "main");
        const unlinked: boolean = await ctx.richMenu.unlink(event.source?.userId ?? "");
        return unlinked;
      },
    },
  },
  richMenus: {
    main: {
      size: { width: 800, height: 270 },
      chatBarText: "Menu",
      image,
      areas: [
        { bounds, action: { route: "open", data: { id: 1 }, label: "Open" } },
        { bounds, action: action.uri("Site", "https://example.com") },
        // @ts-expect-error the plugin has no route "close"
        { bounds, action: { route: "close", data: {} } },
        // @ts-expect-error the route's data is { id: number }
        { bounds, action: { route: "open", data: { id: "one" } } },
      ],
    },
    files: {
      size: { width: 800, height: 270 },
      chatBarText: "Files",
      image: { sha256: "0".repeat(64) },
      areas: [{ bounds, action: action.message("Hi", "hi") }],
      alias: "files",
      default: true,
    },
  },
});
