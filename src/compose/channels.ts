import { type ChannelSection, type ChannelSpec, resolveChannels } from "../config/channels.ts";
import { readChannelSections } from "../config/config-file.ts";
import type { Logger } from "../logging/logger.ts";

export type ChannelResolver = (sections: Record<string, ChannelSection>) => ChannelSpec[];

/**
 * The config file's channels, now and whenever the file changes. At start a missing variable or
 * a broken section stops it; while running, a broken file keeps the channels served as they are.
 */
export function configuredChannels(parts: {
  configFile: string;
  secrets: Record<string, string | undefined>;
  resolve: ChannelResolver | undefined;
  log: Logger;
}): { channels: ChannelSpec[]; rereadChannels(): ChannelSpec[] | undefined } {
  const { configFile, secrets, log } = parts;
  const resolve = parts.resolve ?? ((sections) => resolveChannels(sections, secrets));
  const read = () => resolve(readChannelSections(configFile));
  return {
    channels: read(),
    rereadChannels() {
      try {
        return read();
      } catch (error) {
        const reason = (error as Error).message;
        log.error({ error: reason }, "LINE channels unchanged: the config file's are invalid");
        return undefined;
      }
    },
  };
}
