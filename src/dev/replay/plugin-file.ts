import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * The plugin to replay, as given: a file or folder path, or a name in PLUGINS_DIR (`<name>.ts`,
 * `<name>/index.ts`). Resolves to what the sandbox links in: a file, or a plugin's folder.
 */
export function resolvePluginPath(given: string, pluginsDir: string): string {
  const candidates = [
    resolve(given),
    join(resolve(pluginsDir), `${given}.ts`),
    join(resolve(pluginsDir), given),
  ];
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) {
      if (existsSync(join(path, "index.ts"))) return path;
      continue;
    }
    return path.endsWith("/index.ts") ? dirname(path) : path;
  }
  throw new Error(
    `no plugin "${given}": not a file, nor ${given}.ts or ${given}/ in ${pluginsDir}`,
  );
}

/** The config file's `plugins` section, so the replayed plugin runs with the live settings. */
export function liveSettings(configFile: string): Record<string, unknown> {
  if (!existsSync(configFile)) return {};
  const parsed = JSON.parse(readFileSync(configFile, "utf8")) as { plugins?: unknown };
  const plugins = parsed.plugins;
  return plugins && typeof plugins === "object" ? (plugins as Record<string, unknown>) : {};
}
