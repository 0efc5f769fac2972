/**
 * A worker's rich menu calls: its declaration while it loads (checked here, so that a menu LINE
 * would refuse fails the load, and held until the version is about to serve, when the host syncs
 * it with LINE), and `ctx.richMenu`. Always the plugin the worker opened its state as.
 */
import { DEFAULT_CHANNEL } from "../core/channel.ts";
import { USER_ID_PATTERN } from "../line/limits.ts";
import type { ChannelRichMenus } from "../rich-menus/channels.ts";
import type { PlannedRichMenu } from "../rich-menus/plan.ts";
import type { RpcCall } from "./protocol.ts";

/** What workers may ask of the host's rich menu sync. */
export type RichMenuCalls = Pick<ChannelRichMenus, "plan" | "link" | "unlink">;

export type RichMenuCall = Extract<RpcCall, { method: `richMenu${string}` }>;

export function isRichMenuCall(call: RpcCall): call is RichMenuCall {
  return call.method.startsWith("richMenu");
}

/** One worker's declaration, from its load until the host takes it. */
export class RichMenuSession {
  #planned: PlannedRichMenu[] = [];
  /** Declared, or taken: the declaration is made once, while loading. */
  #closed = false;

  /** The checked declaration (none when the plugin declared none); later declarations fail. */
  take(): PlannedRichMenu[] {
    const planned = this.#planned;
    this.#planned = [];
    this.#closed = true;
    return planned;
  }

  async call(
    call: RichMenuCall,
    plugin: string | undefined,
    menus: RichMenuCalls | undefined,
  ): Promise<unknown> {
    if (plugin === undefined) throw new Error("the plugin's state is not open yet");
    if (!menus) throw new Error("this host keeps no rich menus (it has no store for them)");
    switch (call.method) {
      case "richMenus.declare":
        if (this.#closed) throw new Error("rich menus are declared once, while the plugin loads");
        this.#closed = true;
        this.#planned = menus.plan(plugin, call.menus);
        return undefined;
      // In an event, its channel's (whose user the id names); elsewhere, the default channel's.
      case "richMenu.link":
        return menus.link(plugin, userId(call.userId), call.name, call.channel ?? DEFAULT_CHANNEL);
      case "richMenu.unlink":
        return menus.unlink(plugin, userId(call.userId), call.channel ?? DEFAULT_CHANNEL);
    }
  }
}

const USER_ID = new RegExp(USER_ID_PATTERN);

function userId(id: string): string {
  if (!USER_ID.test(id)) throw new Error(`"${id}" is not a user id (U and 32 hex digits)`);
  return id;
}
