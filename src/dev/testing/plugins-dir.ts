import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
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
