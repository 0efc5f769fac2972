import { z } from "zod";
import { DEFAULT_CHANNEL } from "../core/channel.ts";
import { ConfigError } from "./env.ts";

export { DEFAULT_CHANNEL };

/** A channel's name is a path segment of its webhook and a label of metrics: kept plain. */
export const channelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "must be 1–32 of a-z, 0-9, _ and -, starting alphanumeric");

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");

/**
 * One channel of the config file. Its secrets are named by environment variable, never written in
 * the file. The token is either long-lived (`tokenEnv`) or issued by hotline: from the channel id
 * and secret (`token: "stateless"` or `"short-lived"`), or from a v2.1 assertion key (a JWK
 * private key and its key id).
 */
export const channelSectionSchema = z
  .strictObject({
    secretEnv: envName,
    tokenEnv: envName.optional(),
    channelIdEnv: envName.optional(),
    token: z.enum(["long-lived", "stateless", "short-lived", "v2.1"]).optional(),
    assertionKeyEnv: envName.optional(),
    assertionKeyIdEnv: envName.optional(),
    /** Which plugins run for this channel's events; all when absent. */
    plugins: z.array(z.string().min(1)).optional(),
  })
  .refine((section) => tokenKind(section) !== "long-lived" || section.tokenEnv, {
    message: "needs tokenEnv, or channelIdEnv with token: stateless, short-lived or v2.1",
  })
  .refine((section) => tokenKind(section) === "long-lived" || section.channelIdEnv, {
    message: "a token hotline issues needs channelIdEnv",
  })
  .refine(
    (section) =>
      tokenKind(section) !== "v2.1" || (section.assertionKeyEnv && section.assertionKeyIdEnv),
    { message: "a v2.1 token needs assertionKeyEnv and assertionKeyIdEnv" },
  );

export type ChannelSection = z.infer<typeof channelSectionSchema>;

export type TokenKind = "long-lived" | "stateless" | "short-lived" | "v2.1";

function tokenKind(section: { token?: TokenKind | undefined }): TokenKind {
  return section.token ?? "long-lived";
}

/** How a channel's access token is had: given, or issued by hotline from these credentials. */
export type TokenSpec =
  | { kind: "long-lived"; token: string }
  | { kind: "stateless" | "short-lived"; channelId: string; channelSecret: string }
  | { kind: "v2.1"; channelId: string; privateKey: JsonWebKey; keyId: string };

/** A channel as the runtime serves it: its secret, its token, the plugins it runs. */
export interface ChannelSpec {
  name: string;
  channelSecret: string;
  token: TokenSpec;
  /** Undefined: every plugin. */
  plugins: readonly string[] | undefined;
}

/**
 * The channels a config file's section names, their secrets read from `source` (the process
 * environment). Variables that are missing stop the start, every one of them named.
 */
export function resolveChannels(
  sections: Record<string, ChannelSection>,
  source: Record<string, string | undefined>,
): ChannelSpec[] {
  const missing: string[] = [];
  const read = (name: string | undefined): string => {
    const value = name === undefined ? undefined : source[name]?.trim();
    if (name !== undefined && !value) missing.push(name);
    return value ?? "";
  };
  const specs = Object.entries(sections).map(([name, section]): ChannelSpec => {
    const channelSecret = read(section.secretEnv);
    const kind = tokenKind(section);
    let token: TokenSpec;
    if (kind === "long-lived") token = { kind, token: read(section.tokenEnv) };
    else if (kind === "v2.1")
      token = {
        kind,
        channelId: read(section.channelIdEnv),
        privateKey: jwkOf(read(section.assertionKeyEnv), section.assertionKeyEnv as string),
        keyId: read(section.assertionKeyIdEnv),
      };
    else token = { kind, channelId: read(section.channelIdEnv), channelSecret };
    return { name, channelSecret, token, plugins: section.plugins };
  });
  if (missing.length > 0)
    throw new ConfigError(
      `channels: environment variables not set: ${[...new Set(missing)].join(", ")}`,
    );
  return specs;
}

/** The assertion key as LINE's console gives it: a private JWK, as JSON. */
function jwkOf(text: string, variable: string): JsonWebKey {
  if (text === "") return {};
  try {
    const key: unknown = JSON.parse(text);
    if (key && typeof key === "object" && !Array.isArray(key)) return key as JsonWebKey;
  } catch {
    // Named below without its content: it is a secret.
  }
  throw new ConfigError(`invalid environment variable ${variable}: not a JSON Web Key`);
}

/**
 * The config file's channels whose secret is set in `source`. With such a channel and no default
 * one the operator means to serve LINE, not to start local mode: that start is refused.
 */
export function channelsWithSecrets(
  sections: Record<string, ChannelSection>,
  source: Record<string, string | undefined>,
): string[] {
  return Object.entries(sections)
    .filter(([, section]) => source[section.secretEnv]?.trim())
    .map(([name]) => name);
}
