/**
 * Postback data that names its plugin and route, carries a typed payload, and cannot be forged:
 * `hl:<plugin>:<route>:<payload>:<mac>`, the payload JSON in base64url, the MAC an HMAC keyed per
 * plugin by the host (a plugin never holds the channel secret, only its own key). LINE caps the
 * data at 300 characters: checked when built.
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

export const POSTBACK_DATA_LIMIT = 300;
const PREFIX = "hl";
const MAC_BYTES = 9;
const NAME = /^[a-z][a-z0-9-]*$/;

export interface PostbackAddress {
  plugin: string;
  route: string;
}

/** Data that is not ours, or ours but altered: it never reaches a handler. */
export class PostbackDataError extends Error {
  override name = "PostbackDataError";
}

/** The per-plugin key, derived by the host from the channel secret. */
export function postbackKey(channelSecret: string, plugin: string): Uint8Array {
  return createHmac("sha256", channelSecret).update(`hotline postback key\u0000${plugin}`).digest();
}

function mac(key: Uint8Array, signed: string): string {
  return createHmac("sha256", key)
    .update(signed)
    .digest()
    .subarray(0, MAC_BYTES)
    .toString("base64url");
}

export function encodePostbackData(
  key: Uint8Array,
  address: PostbackAddress,
  payload: unknown,
): string {
  if (!NAME.test(address.route))
    throw new PostbackDataError(`route "${address.route}" must be kebab-case`);
  const json = JSON.stringify(payload ?? null);
  const signed = `${PREFIX}:${address.plugin}:${address.route}:${Buffer.from(json).toString("base64url")}`;
  const data = `${signed}:${mac(key, signed)}`;
  if (data.length > POSTBACK_DATA_LIMIT)
    throw new PostbackDataError(
      `postback data: ${data.length} > ${POSTBACK_DATA_LIMIT} characters (LINE's limit); carry an id, not the record`,
    );
  return data;
}

/** Whose postback data this is, without checking it; undefined for data that is not ours. */
export function postbackAddress(data: string): PostbackAddress | undefined {
  const parts = data.split(":");
  if (parts.length !== 5 || parts[0] !== PREFIX) return undefined;
  const [, plugin = "", route = ""] = parts;
  return NAME.test(plugin) && NAME.test(route) ? { plugin, route } : undefined;
}

/** The payload, once the MAC proves the data was built with this plugin's key. */
export function decodePostbackData(
  key: Uint8Array,
  data: string,
): { route: string; payload: unknown } {
  const address = postbackAddress(data);
  if (!address) throw new PostbackDataError("not hotline postback data");
  const cut = data.lastIndexOf(":");
  const signed = data.slice(0, cut);
  const given = Buffer.from(data.slice(cut + 1), "base64url");
  const expected = Buffer.from(mac(key, signed), "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new PostbackDataError("postback data was altered (or built with another key)");
  const encoded = signed.slice(signed.lastIndexOf(":") + 1);
  try {
    return {
      route: address.route,
      payload: JSON.parse(Buffer.from(encoded, "base64url").toString()),
    };
  } catch {
    throw new PostbackDataError("postback payload is not JSON");
  }
}
