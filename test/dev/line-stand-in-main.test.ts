/** `bun run line-stand-in`: the stand-in alone, as someone using `@line/bot-sdk` without hotline. */
import { afterEach, expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { HTTPFetchError, messagingApi } from "@line/bot-sdk";

const MAIN = fileURLToPath(new URL("../../src/dev/line-stand-in/main.ts", import.meta.url));
const USER = `U${"a".repeat(32)}`;
let child: ReturnType<typeof Bun.spawn> | undefined;

afterEach(async () => {
  child?.kill();
  await child?.exited;
  child = undefined;
});

/** Starts it and reads the lines it prints before serving. */
async function start(env: Record<string, string>): Promise<string[]> {
  child = Bun.spawn([process.execPath, MAIN], {
    env: { ...process.env, PORT: "0", ...env },
    stdout: "pipe",
  });
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (text.split("\n").length < 3) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.trim().split("\n");
}

test("serves LINE's API on loopback with the token it was given", async () => {
  const [listening, token] = await start({ LINE_CHANNEL_ACCESS_TOKEN: "given-token" });
  const baseURL = listening?.match(/listening on (http:\/\/127\.0\.0\.1:\d+)$/)?.[1];
  expect(baseURL).toBeDefined();
  expect(token).toBe("accepting the token in LINE_CHANNEL_ACCESS_TOKEN");

  const client = new messagingApi.MessagingApiClient({
    channelAccessToken: "given-token",
    baseURL,
  });
  const { sentMessages } = await client.pushMessage({
    to: USER,
    messages: [{ type: "text", text: "hi" }],
  });
  expect(sentMessages).toHaveLength(1);
  // No webhook issues reply tokens here: an unknown one is taken once.
  await client.replyMessage({
    replyToken: "from-my-test",
    messages: [{ type: "text", text: "hi" }],
  });

  const items = Array(14).fill({
    type: "action",
    action: { type: "message", label: "x", text: "x" },
  });
  const refused = await client
    .pushMessage({ to: USER, messages: [{ type: "text", text: "pick", quickReply: { items } }] })
    .catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(HTTPFetchError);
  expect(JSON.parse((refused as HTTPFetchError).body).details).toEqual([
    { message: "Size must be between 1 and 13", property: "messages[0].quickReply.items" },
  ]);

  const wrong = new messagingApi.MessagingApiClient({ channelAccessToken: "other", baseURL });
  expect(((await wrong.getBotInfo().catch((e: unknown) => e)) as HTTPFetchError).status).toBe(401);
});

test("without a token, it makes one up and prints it", async () => {
  const [listening, token] = await start({ LINE_CHANNEL_ACCESS_TOKEN: "" });
  const baseURL = listening?.match(/(http:\/\/\S+)$/)?.[1];
  const generated = token?.match(/^accepting the bearer token (\S+)$/)?.[1];
  expect(generated).toMatch(/^[A-Za-z0-9]{40}$/);
  const client = new messagingApi.MessagingApiClient({
    channelAccessToken: generated as string,
    baseURL,
  });
  expect((await client.getBotInfo()).userId).toMatch(/^U[0-9a-f]{32}$/);
});
