/**
 * `bun run send "hello"`: signs a text event and posts it to a running hotline. In local mode it
 * reads the generated secret from DATA_DIR/local-mode.json; otherwise set LINE_CHANNEL_SECRET.
 * `--channel <name>` posts to a channel of the config file (local mode: its derived secret).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { envelope, event, group, user } from "../src/dev/events/mod.ts";
import { localChannelSecret, localModeFile, readLocalModeFile } from "../src/dev/local-mode.ts";
import { signBody } from "../src/webhook/signature.ts";

const args = process.argv.slice(2);
const groupIndex = args.indexOf("--group");
const inGroup = groupIndex !== -1;
if (inGroup) args.splice(groupIndex, 1);
const channelIndex = args.indexOf("--channel");
const channel = channelIndex === -1 ? undefined : args.splice(channelIndex, 2)[1];
const text = args.join(" ") || "hello";

const dataDir = resolve(process.env.DATA_DIR ?? "./data");
const local = existsSync(localModeFile(dataDir)) ? readLocalModeFile(dataDir) : undefined;
const defaultSecret = process.env.LINE_CHANNEL_SECRET || local?.channelSecret;
const secret =
  channel === undefined || !defaultSecret
    ? defaultSecret
    : process.env.CHANNEL_SECRET || localChannelSecret(defaultSecret, channel);
if (!secret) {
  console.error(
    `send: no channel secret: start the bot in local mode first (it writes ${localModeFile(dataDir)}), or set LINE_CHANNEL_SECRET`,
  );
  process.exit(1);
}
const webhookUrl =
  process.env.WEBHOOK_URL ??
  local?.webhookUrl ??
  `http://127.0.0.1:${process.env.PORT ?? 3000}${process.env.WEBHOOK_PATH ?? "/webhook"}`;
const url = channel === undefined ? webhookUrl : `${webhookUrl.replace(/\/+$/, "")}/${channel}`;

const body = JSON.stringify(
  envelope([event.text(text, inGroup ? { chat: group() } : { chat: user() })], local?.botUserId),
);
try {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-line-signature": signBody(secret, body) },
    body,
  });
  console.log(`${response.status} ${response.statusText} from ${url}: ${await response.text()}`);
  if (response.ok)
    console.log("The bot's reply appears in the server's log (\"LINE stand-in: bot replied\").");
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(
    `send: could not reach ${url}: ${(error as Error).message}. Is \`bun run start\` running?`,
  );
  process.exit(1);
}
