/** Rich menus as code: what a plugin declares, and `ctx.richMenu`. */
import type { messagingApi } from "@line/bot-sdk";
import type { z } from "zod";
import type { PostbackOptions, PostbackSchemas } from "./command-types.ts";

/** A tappable rectangle of the menu, in the image's pixels. */
export interface RichMenuBounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * A tap that goes to one of the plugin's `postbacks` routes with `data`, checked by the route's
 * schema and signed, as `ctx.postback` makes it: only this plugin's route handler gets it.
 */
export type RichMenuRouteAction<P extends PostbackSchemas> = {
  [R in keyof P & string]: { route: R; data: z.input<P[R]> } & Partial<PostbackOptions>;
}[keyof P & string];

/** Any of LINE's actions (`action.uri(…)`, `action.richMenuSwitch(…)`…), or a postback route. */
export type RichMenuAction<P extends PostbackSchemas = PostbackSchemas> =
  | messagingApi.Action
  | RichMenuRouteAction<P>;

export interface RichMenuArea<P extends PostbackSchemas = PostbackSchemas> {
  bounds: RichMenuBounds;
  action: RichMenuAction<P>;
}

/**
 * One rich menu. The host checks it at load as LINE would (a broken rule fails the load, naming
 * it), creates it at LINE once, and makes it again only when something here or its image changes.
 */
export interface RichMenuSpec<P extends PostbackSchemas = PostbackSchemas> {
  /**
   * The image's size in pixels: 800 to 2500 wide, at least 250 high, at least 1.45 times as wide
   * as high (LINE's templates: 2500×1686, 2500×843, 1200×810, 1200×405, 800×540, 800×270).
   */
  size: { width: number; height: number };
  /** The text of the bar that opens and closes the menu: at most 14 characters. */
  chatBarText: string;
  /** Shown open when the chat opens (default false). */
  selected?: boolean;
  /**
   * A PNG or JPEG of exactly `size`, at most 1 MB: a file the plugin ships, as
   * `new URL("./menu.png", import.meta.url)` (editing it reloads the plugin), or a file in its
   * `ctx.files`, as `{ sha256 }`.
   */
  image: URL | { sha256: string };
  /** 1 to 20 tappable areas, inside the image. */
  areas: Array<RichMenuArea<P>>;
  /**
   * The menu's alias (a-z, 0-9, _ and -, at most 32), for `action.richMenuSwitch`. Aliases are
   * the bot's: two plugins cannot declare the same.
   */
  alias?: string;
  /** Shown to every user who has no menu of their own. One plugin of the bot may declare one. */
  default?: boolean;
}

/** Menu name (kebab-case) → menu. */
export type RichMenus<P extends PostbackSchemas = PostbackSchemas> = Record<
  string,
  RichMenuSpec<P>
>;

/**
 * `ctx.richMenu`: the plugin's declared menus, per user; in an event, in the event's channel (each
 * channel has its own menus and users), elsewhere in the `default` channel.
 */
export interface RichMenuControl {
  /**
   * Shows the plugin's menu `name` to the user, in place of the default (or of the menu linked
   * to them before: a user has one). Their link follows the menu when it is replaced.
   */
  link(userId: string, name: string): Promise<void>;
  /**
   * Takes the plugin's menu away from the user, who sees the default again; resolves false, and
   * changes nothing, when the menu linked to them is not one of this plugin's.
   */
  unlink(userId: string): Promise<boolean>;
}
