/**
 * A plugin's rich menus inside its worker: made ready for the host, which checks them against
 * LINE's rules and syncs them with LINE (the worker never holds the channel's token). A route
 * action is signed here, with the plugin's own postback key; an image is read from the file the
 * plugin ships or from its `ctx.files`.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type DeclaredRichMenu, MAX_RICH_MENU_IMAGE_BYTES } from "../../rich-menus/declared.ts";
import type { PostbackOptions } from "../../sdk/command-types.ts";
import type { FileStore } from "../../sdk/context.ts";
import type { RichMenuControl } from "../../sdk/rich-menus.ts";
import type { ValidDefinition } from "../manifest.ts";
import { type PluginPostbacks, postbackAction } from "./postbacks.ts";
import type { HostRpc } from "./rpc.ts";

type Spec = NonNullable<ValidDefinition["richMenus"]>[string];

const OVER_LIMIT = `over LINE's ${MAX_RICH_MENU_IMAGE_BYTES} bytes (1 MB)`;

/** A LINE action as is; `{ route, data }` as the postback `ctx.postback` would build. */
function lineAction(
  postbacks: PluginPostbacks,
  action: Record<string, unknown>,
): Record<string, unknown> {
  if (!("route" in action)) return action;
  const { route, data, ...options } = action;
  if (typeof route !== "string") throw new Error("route must be the name of a postback route");
  return { ...postbackAction(postbacks, route, data, options as PostbackOptions) };
}

/** The stream's bytes, refusing more than a rich menu image may have. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > MAX_RICH_MENU_IMAGE_BYTES) {
      await stream.cancel().catch(() => undefined);
      throw new Error(`the image is ${OVER_LIMIT}`);
    }
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

async function readImage(image: Spec["image"], files: FileStore): Promise<Uint8Array> {
  if (!(image instanceof URL)) {
    const stream = await files.get(image.sha256);
    if (!stream) throw new Error(`the image ${image.sha256} is not in the plugin's ctx.files`);
    return readAll(stream);
  }
  if (image.protocol !== "file:")
    throw new Error(`the image must be a file the plugin ships (a file: URL), not ${image.href}`);
  const path = fileURLToPath(image);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`cannot read the image ${path}: ${(error as Error).message}`);
  }
  if (bytes.byteLength > MAX_RICH_MENU_IMAGE_BYTES)
    throw new Error(`the image is ${bytes.byteLength} bytes, ${OVER_LIMIT}`);
  return new Uint8Array(bytes);
}

async function declared(
  name: string,
  spec: Spec,
  postbacks: PluginPostbacks,
  files: FileStore,
): Promise<DeclaredRichMenu> {
  const areas = spec.areas.map((area, index) => {
    try {
      return { bounds: area.bounds, action: lineAction(postbacks, area.action) };
    } catch (error) {
      throw new Error(`areas[${index}].action: ${(error as Error).message}`);
    }
  });
  return {
    name,
    size: { width: spec.size.width, height: spec.size.height },
    chatBarText: spec.chatBarText,
    selected: spec.selected ?? false,
    areas,
    image: await readImage(spec.image, files),
    ...(spec.alias === undefined ? {} : { alias: spec.alias }),
    default: spec.default ?? false,
  };
}

/** The plugin's rich menus as the host takes them; throws naming the menu that cannot be made. */
export async function declaredRichMenus(
  definition: ValidDefinition,
  postbacks: PluginPostbacks,
  files: FileStore,
): Promise<DeclaredRichMenu[]> {
  const menus = Object.entries(definition.richMenus ?? {});
  return Promise.all(
    menus.map(async ([name, spec]) => {
      try {
        return await declared(name, spec, postbacks, files);
      } catch (error) {
        throw new Error(`rich menu "${name}": ${(error as Error).message}`);
      }
    }),
  );
}

/**
 * `ctx.richMenu`: the host links and unlinks, with the channel's token: the event's channel
 * (`channel`, another channel's event), else the default one.
 */
export function richMenuControl(rpc: HostRpc, channel?: string): RichMenuControl {
  const of = channel === undefined ? {} : { channel };
  return {
    async link(userId, name) {
      await rpc.call({ method: "richMenu.link", userId, name, ...of });
    },
    async unlink(userId) {
      return (await rpc.call({ method: "richMenu.unlink", userId, ...of })) === true;
    },
  };
}
