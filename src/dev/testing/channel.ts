import { randomBytes } from "node:crypto";
import { BOT_USER_ID } from "../events/mod.ts";
import { LineStandIn } from "../line-stand-in/mod.ts";

/**
 * Each stand-in's channel secret: the channel's, not a bot's, so every bot on one stand-in (a
 * restart, another instance) signs and checks postback data with the same key, as on LINE.
 */
const secrets = new WeakMap<LineStandIn, string>();

/** A test bot's LINE: the stand-in given (another bot's), or a fresh one; its credentials. */
export function testChannel(
  given: LineStandIn | undefined,
  now: () => number,
): { line: LineStandIn; token: string; secret: string } {
  const token = given?.channelAccessToken ?? `test-token-${randomBytes(4).toString("hex")}`;
  const line = given ?? new LineStandIn({ channelAccessToken: token, botUserId: BOT_USER_ID, now });
  const secret = secrets.get(line) ?? randomBytes(16).toString("hex");
  secrets.set(line, secret);
  return { line, token, secret };
}
