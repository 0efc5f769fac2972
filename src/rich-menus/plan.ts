/**
 * A plugin's declared rich menus, checked as LINE would check them, before anything is sent:
 * the menu object against LINE's rules (src/line/validate.ts), the image against LINE's
 * requirements for rich menu images. Each gets its content hash: equal hashes, equal menus.
 */
import { createHash } from "node:crypto";
import { type ImageType, imageSize, imageType } from "../line/image-size.ts";
import { describeViolation, violations } from "../line/validate.ts";
import { type DeclaredRichMenu, MAX_RICH_MENU_IMAGE_BYTES } from "./declared.ts";

/** A declared menu, ready to be created at LINE. */
export interface PlannedRichMenu {
  name: string;
  /** The rich menu object as LINE gets it. */
  menu: Record<string, unknown>;
  image: Uint8Array;
  imageType: ImageType;
  /** Of everything LINE gets for it: the object, the image and its type. */
  hash: string;
  alias: string | undefined;
  default: boolean;
}

/** What the host keeps of a plugin's declaration once its menus are at LINE. */
export type DeclaredMenu = Omit<PlannedRichMenu, "image" | "menu">;

/** A declaration LINE would refuse: the plugin's load fails with this message. */
export class RichMenuError extends Error {
  override name = "RichMenuError";
}

/** JSON with object keys sorted: the hash must not depend on the order a literal was written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** What is wrong with the image for a menu of `size`, as LINE's requirements say it. */
function imageProblems(image: Uint8Array, size: { width: number; height: number }): string[] {
  const type = imageType(image);
  if (type === undefined) return ["the image must be a PNG or a JPEG (LINE's rule)"];
  const problems: string[] = [];
  if (image.byteLength > MAX_RICH_MENU_IMAGE_BYTES)
    problems.push(`the image is ${image.byteLength} bytes, over LINE's 1 MB`);
  const found = imageSize(image);
  if (found?.width !== size.width || found.height !== size.height) {
    const pixels = found ? `${found.width}x${found.height}` : "of a size that cannot be read";
    problems.push(
      `the image is ${pixels}, the menu ${size.width}x${size.height}: LINE takes only an image of the menu's size`,
    );
  }
  return problems;
}

function planOne(plugin: string, declared: DeclaredRichMenu): PlannedRichMenu | string[] {
  const { name, size, selected, chatBarText, areas, image } = declared;
  const type = imageType(image);
  const content = { size, selected, chatBarText, areas };
  const hash = sha256(canonical({ plugin, name, content, image: sha256(image), type }));
  // LINE shows operators the name: which plugin's menu it is, and which version of it.
  const menu = { ...content, name: `hotline ${plugin}/${name} ${hash.slice(0, 12)}` };
  const problems = [
    ...violations("RichMenuRequest", menu).map(
      (violation) => `${describeViolation(violation)} (LINE: ${violation.message})`,
    ),
    ...imageProblems(image, size),
  ];
  if (problems.length > 0 || type === undefined) return problems;
  const { alias } = declared;
  return { name, menu, image, imageType: type, hash, alias, default: declared.default };
}

/** The plugin's menus checked and hashed; throws a RichMenuError naming every rule broken. */
export function planRichMenus(plugin: string, declared: DeclaredRichMenu[]): PlannedRichMenu[] {
  const problems: string[] = [];
  const planned: PlannedRichMenu[] = [];
  const defaults = declared.filter((menu) => menu.default).map((menu) => menu.name);
  if (defaults.length > 1)
    problems.push(`only one rich menu can be the default, not ${defaults.join(" and ")}`);
  const aliases = new Map<string, string>();
  const names = new Set<string>();
  for (const menu of declared) {
    if (names.has(menu.name)) problems.push(`rich menu "${menu.name}" is declared twice`);
    names.add(menu.name);
    const holder = menu.alias === undefined ? undefined : aliases.get(menu.alias);
    if (holder !== undefined)
      problems.push(`rich menus "${holder}" and "${menu.name}" declare one alias, "${menu.alias}"`);
    if (menu.alias !== undefined) aliases.set(menu.alias, menu.name);
    const result = planOne(plugin, menu);
    if (Array.isArray(result))
      problems.push(...result.map((problem) => `rich menu "${menu.name}": ${problem}`));
    else planned.push(result);
  }
  if (problems.length > 0) throw new RichMenuError(problems.join("; "));
  return planned;
}

/** What to keep of a plan once it is synced: everything but the image and the object. */
export function declaredMenu({
  image: _image,
  menu: _menu,
  ...kept
}: PlannedRichMenu): DeclaredMenu {
  return kept;
}
