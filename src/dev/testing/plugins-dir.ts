import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PROJECT_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Makes a scratch directory inside the project, so plugins in it resolve `hotline` imports. */
export function createPluginsDir(): {
  dir: string;
  write(file: string, source: string): string;
  remove(): void;
} {
  const base = join(PROJECT_ROOT, ".tmp");
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, "plugins-"));
  return {
    dir,
    write(file, source) {
      const path = join(dir, file);
      mkdirSync(resolve(path, ".."), { recursive: true });
      writeFileSync(path, source);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A scratch plugins directory with links to the given plugin files or folders. */
export function linkedPluginsDir(plugins: ReadonlyArray<string | URL>): {
  dir: string;
  remove(): void;
} {
  const scratch = createPluginsDir();
  for (const plugin of plugins) {
    const path = plugin instanceof URL ? fileURLToPath(plugin) : resolve(plugin);
    symlinkSync(path, join(scratch.dir, basename(path)));
  }
  return scratch;
}
