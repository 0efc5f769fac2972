import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const SOURCE = /\.(?:ts|mts|js|mjs|tsx|jsx)$/;
/** `<name>.next.ts` is a plugin's next version, for `bun run replay` and shadow runs: never live. */
const NOT_A_PLUGIN = /(?:\.d\.ts|\.(?:test|spec|next)\.[cm]?[jt]sx?)$/;
const NEXT = /\.next\.[cm]?[jt]sx?$/;
/** Which plugin files a host loads: the live ones, or the next versions (`<name>.next.ts`). */
export type PluginFiles = "live" | "next";
const INDEX_FILES = ["index.ts", "index.mts", "index.js", "index.mjs"];

/** Names starting with "_" or "." are never plugins: the place for shared helpers and tooling. */
const hidden = (name: string) =>
  name.startsWith("_") || name.startsWith(".") || name === "node_modules";

/**
 * The plugin entry files of a directory: top-level source files, and `index.*` of top-level
 * folders. Tests, declaration files, next versions and anything hidden are skipped; with
 * `files: "next"`, only the next versions are taken.
 */
export function findPluginEntries(dir: string, files: PluginFiles = "live"): string[] {
  if (!existsSync(dir)) return [];
  const entries: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (hidden(name)) continue;
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (files === "next") {
      // Only the next versions: top-level `<name>.next.ts` files, for shadow runs.
      if (stat?.isFile() && NEXT.test(name)) entries.push(resolve(path));
      continue;
    }
    if (stat?.isFile() && SOURCE.test(name) && !NOT_A_PLUGIN.test(name))
      entries.push(resolve(path));
    else if (stat?.isDirectory()) {
      const index = INDEX_FILES.map((file) => join(path, file)).find((file) => existsSync(file));
      if (index) entries.push(resolve(index));
    }
  }
  return entries;
}

// Static imports, re-exports, side-effect imports and literal dynamic imports of relative paths.
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
// Files a module names beside itself, `new URL("./menu.png", import.meta.url)` (a rich menu's image).
const RELATIVE_ASSET = /\bnew\s+URL\(\s*["'](\.{1,2}\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g;

function resolveImport(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  const candidates = [
    base,
    ...[".ts", ".js", ".mts", ".mjs", ".tsx"].map((ext) => base + ext),
    ...INDEX_FILES.map((f) => join(base, f)),
  ];
  return candidates.find((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
}

/**
 * The files a plugin is made of: its entry, every relative import, transitively, and the files
 * they name with `new URL("./…", import.meta.url)`. Editing any of them reloads the plugin; their
 * contents make its version.
 */
export function moduleGraph(entry: string): { files: string[]; version: string } {
  const seen = new Set<string>();
  const hash = createHash("sha256");
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return;
    }
    hash.update(file).update("\u0000").update(bytes).update("\u0000");
    if (!SOURCE.test(file)) return;
    const source = bytes.toString("utf8");
    for (const match of source.matchAll(RELATIVE_IMPORT)) {
      const target = match[1] ? resolveImport(file, match[1]) : undefined;
      if (target) visit(target);
    }
    for (const match of source.matchAll(RELATIVE_ASSET)) {
      const target = match[1] ? resolve(dirname(file), match[1]) : undefined;
      if (target && statSync(target, { throwIfNoEntry: false })?.isFile()) visit(target);
    }
  };
  visit(resolve(entry));
  return { files: [...seen], version: hash.digest("hex").slice(0, 12) };
}
