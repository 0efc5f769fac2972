/**
 * Local mode with channels in the config file: no variables to set, each channel gets a secret
 * the simulator knows, and the simulator posts to the channel picked, signed for it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "../../src/config/env.ts";
import { type LocalHotline, startLocalHotline } from "../../src/dev/local-mode.ts";
import { PEOPLE } from "../../src/dev/simulator/simulator.ts";
import { silentLogger } from "../../src/logging/logger.ts";

const PLUGINS_DIR = fileURLToPath(new URL("../../plugins", import.meta.url));
const [alice] = PEOPLE;
let dataDir: string;
let local: LocalHotline;
let dev: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "hotline-sim-channels-"));
  const configFile = join(dataDir, "hotline.config.json");
  const section = { secretEnv: "UNSET_SECRET", tokenEnv: "UNSET_TOKEN", plugins: ["echo"] };
  writeFileSync(configFile, JSON.stringify({ channels: { shop: section } }));
  local = await startLocalHotline({
    env: parseEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      PLUGINS_DIR,
      CONFIG_FILE: configFile,
    }),
    log: silentLogger,
    tuning: { watch: false },
  });
  dev = `${local.hotline.url}/dev`;
});

afterAll(async () => {
  await local?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = (path: string, body: unknown) =>
  fetch(`${dev}/api/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

test("the session lists the channels; events go to the one picked", async () => {
  const session = await (await fetch(`${dev}/api/session`)).json();
  expect(session).toMatchObject({ channels: ["default", "shop"], channel: "default" });

  expect((await post("channel", { channel: "nowhere" })).status).toBe(400);
  expect((await post("channel", { channel: "shop" })).status).toBe(200);
  const sent = await post("send", { type: "text", chat: "user", user: alice?.id, text: "hi" });
  const { entry } = (await sent.json()) as { entry: { status: number; eventId: string } };
  expect(entry.status).toBe(200);
  const stored = await local.hotline.store.inboxRecords([`shop/${entry.eventId}`]);
  expect(stored).toHaveLength(1);
  // Echo answers in the shop channel, with the shop's token at the stand-in.
  await local.hotline.dispatcher.idle();
  const reply = local.standIn.requests.findLast((r) => r.path === "/v2/bot/message/reply");
  expect(reply).toMatchObject({ status: 200, channel: "shop" });

  // The side panel shows how the plugins fared with it, by the id the page knows.
  const state = await (await fetch(`${dev}/api/state`)).json();
  expect(state.receipts[entry.eventId]).toContainEqual(
    expect.objectContaining({ plugin: "echo", status: "done" }),
  );

  await post("channel", { channel: "default" });
  const back = await post("send", { type: "text", chat: "user", user: alice?.id, text: "hi" });
  const { entry: again } = (await back.json()) as { entry: { eventId: string } };
  expect(await local.hotline.store.inboxRecords([again.eventId])).toHaveLength(1);
});
