/**
 * `bun run line-stand-in`: the LINE stand-in alone, on loopback, for anyone testing a bot against
 * LINE's Messaging API without hotline (with `@line/bot-sdk` or plain HTTP). Point both base URLs
 * (api.line.me and api-data.line.me) at the URL it prints.
 *
 *   PORT                       default 3100
 *   LINE_CHANNEL_ACCESS_TOKEN  the bearer token it accepts; a generated one is printed otherwise
 */
import { platform } from "../../platform/mod.ts";
import { LineStandIn } from "./mod.ts";
import { randomToken } from "./wire.ts";

const port = Number(process.env.PORT ?? 3100);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`line-stand-in: PORT must be a port number, got ${process.env.PORT}`);
  process.exit(1);
}
const given = process.env.LINE_CHANNEL_ACCESS_TOKEN;
const channelAccessToken = given || randomToken(40);
// Reply tokens of events it never sent are taken once: there is no webhook here to issue them.
const standIn = new LineStandIn({ channelAccessToken, strictReplyTokens: false });
const server = platform.serve({
  hostname: "127.0.0.1",
  port,
  maxRequestBodySize: 16 * 1024 * 1024,
  fetch: standIn.fetch,
});

console.log(`LINE stand-in listening on ${server.url}`);
console.log(
  given
    ? "accepting the token in LINE_CHANNEL_ACCESS_TOKEN"
    : `accepting the bearer token ${channelAccessToken}`,
);

const stop = () => {
  void server.stop().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
