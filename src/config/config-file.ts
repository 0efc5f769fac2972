import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import {
  type ChannelSection,
  channelName,
  channelSectionSchema,
  DEFAULT_CHANNEL,
} from "./channels.ts";

/**
 * The config file: one section per plugin, each validated later by that plugin's own schema; and
 * the LINE channels served besides the environment's (`default`).
 */
export const configFileSchema = z.object({
  plugins: z.record(z.string(), z.unknown()).default({}),
  channels: z
    .record(
      channelName.refine((name) => name !== DEFAULT_CHANNEL, {
        message: `"${DEFAULT_CHANNEL}" is the environment's channel (LINE_CHANNEL_SECRET)`,
      }),
      channelSectionSchema,
    )
    .default({}),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

export class ConfigFileError extends Error {
  override name = "ConfigFileError";
}

/**
 * A missing file means "all defaults"; a broken one is an error naming the file and the problem.
 * `defaults` lie under the file's sections: a key the file sets wins.
 */
export function readConfigFile(path: string, defaults: ConfigFile["plugins"] = {}): ConfigFile {
  const file = parseConfigFile(path);
  return { plugins: withDefaults(file.plugins, defaults), channels: file.channels };
}

/** The file's channels; none when there is no file. Throws as `readConfigFile` does. */
export function readChannelSections(path: string): Record<string, ChannelSection> {
  return parseConfigFile(path).channels;
}

function parseConfigFile(path: string): ConfigFile {
  if (!existsSync(path)) return { plugins: {}, channels: {} };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigFileError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  const result = configFileSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigFileError(
      `${path}: ${issue?.path.join(".") || "top level"}: ${issue?.message}`,
    );
  }
  return result.data;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function withDefaults(
  sections: ConfigFile["plugins"],
  defaults: ConfigFile["plugins"],
): ConfigFile["plugins"] {
  const merged = { ...defaults };
  for (const [name, section] of Object.entries(sections)) {
    const fallback = defaults[name];
    // An empty (null) section is no section, as for the plugins; one that is not an object stays
    // as written, for the plugin's schema to refuse.
    merged[name] =
      isObject(fallback) && isObject(section) ? { ...fallback, ...section } : (section ?? fallback);
  }
  return merged;
}
