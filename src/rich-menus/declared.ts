/**
 * The shapes of a plugin's rich menus: as the plugin declares them (checked when its module
 * loads), and as its worker hands them to the host, its route actions signed and its images read.
 * LINE's own rules (sizes, areas, actions) are the host's to check, by LINE's validators.
 */
import { z } from "zod";
import { isDigest } from "../storage/plugin-files.ts";

/** "Max file size: 1 MB" for a rich menu image. */
export const MAX_RICH_MENU_IMAGE_BYTES = 1024 * 1024;
/** A plugin's menus are a few tabs at most; LINE keeps 1000 per channel, for every plugin. */
export const MAX_RICH_MENUS_PER_PLUGIN = 20;
/** More areas than LINE takes (20) still reach the host, which says which rule they break. */
const MAX_AREAS_SENT = 200;

/** A menu's name is part of what LINE stores as its name, and of the host's records. */
export const richMenuName = z
  .string()
  .max(32)
  .regex(/^[a-z][a-z0-9-]*$/, "must be kebab-case, like main or vip-tab");

/** LINE's rule for rich menu alias ids. */
export const richMenuAlias = z
  .string()
  .regex(/^[a-z0-9_-]{1,32}$/, "must be 1 to 32 of a-z, 0-9, _ and - (LINE's rule for alias ids)");

const json = z.record(z.string(), z.unknown());
const pixels = z.number();
const size = z.object({ width: pixels, height: pixels });
const sha256 = z.string().refine(isDigest, "must be a lower-case hex SHA-256 digest");

/** One menu as a plugin declares it (`RichMenuSpec` in the SDK). */
export const richMenuSpecSchema = z.strictObject({
  size,
  chatBarText: z.string(),
  selected: z.boolean().optional(),
  image: z.union(
    [z.instanceof(URL), z.object({ sha256 })],
    'must be a URL of a file the plugin ships (new URL("./menu.png", import.meta.url)) or { sha256 } of a file in ctx.files',
  ),
  areas: z.array(z.object({ bounds: json, action: json })),
  alias: richMenuAlias.optional(),
  default: z.boolean().optional(),
});

export const richMenusSchema = z
  .record(richMenuName, richMenuSpecSchema)
  .refine(
    (menus) => Object.keys(menus).length <= MAX_RICH_MENUS_PER_PLUGIN,
    `at most ${MAX_RICH_MENUS_PER_PLUGIN} rich menus per plugin`,
  );

const imageBytes = z.custom<Uint8Array>(
  (value) => value instanceof Uint8Array && value.byteLength <= MAX_RICH_MENU_IMAGE_BYTES,
  `must be at most ${MAX_RICH_MENU_IMAGE_BYTES} bytes`,
);

/** One menu as the worker hands it to the host: its actions as LINE gets them, its image read. */
export const declaredRichMenuSchema = z.strictObject({
  name: richMenuName,
  size: z.strictObject({ width: pixels, height: pixels }),
  chatBarText: z.string().max(1000),
  selected: z.boolean(),
  areas: z.array(json).max(MAX_AREAS_SENT),
  image: imageBytes,
  alias: richMenuAlias.optional(),
  default: z.boolean(),
});

export type DeclaredRichMenu = z.infer<typeof declaredRichMenuSchema>;

export const declaredRichMenusSchema = z
  .array(declaredRichMenuSchema)
  .max(MAX_RICH_MENUS_PER_PLUGIN);
