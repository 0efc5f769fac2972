/**
 * Where the browser tests put their screenshots: `docs/` when asked to refresh the docs' pictures
 * (`UPDATE_SCREENSHOTS=1`), else `.tmp/screenshots/`, so that a CI run leaves the checkout clean.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export function screenshotPath(root: string, file: string): string {
  const dir =
    process.env.UPDATE_SCREENSHOTS === "1" ? join(root, "docs") : join(root, ".tmp", "screenshots");
  mkdirSync(dir, { recursive: true });
  return join(dir, file);
}
