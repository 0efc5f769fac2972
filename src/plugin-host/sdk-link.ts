import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The directory of hotline's own package.json. */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

function resolvesHotline(from: string): boolean {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "node_modules", "hotline"))) return true;
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "hotline")
          return true;
      } catch {
        // Not ours to judge; keep walking up.
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

/**
 * Plugins import the SDK as `hotline`. Inside this project that resolves to the package itself;
 * for a plugins directory elsewhere, link `<dir>/node_modules/hotline` to this package (like
 * `npm link`), so the same import works there under Bun and Deno. Returns the link it made.
 */
export function linkSdkInto(pluginsDir: string): string | undefined {
  const dir = resolve(pluginsDir);
  if (!existsSync(dir) || resolvesHotline(dir)) return undefined;
  const link = join(dir, "node_modules", "hotline");
  if (lstatSync(link, { throwIfNoEntry: false })) return undefined;
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(PACKAGE_ROOT, link, "dir");
  return link;
}
