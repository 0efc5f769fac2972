/** The simulator's side panel shows a shadow run's answer beside the live delivery. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "../../src/config/env.ts";
import { type LocalHotline, startLocalHotline } from "../../src/dev/local-mode.ts";
import { PEOPLE } from "../../src/dev/simulator/simulator.ts";
import { createPluginsDir } from "../../src/dev/testing/mod.ts";

const plugins = createPluginsDir();
plugins.write(
  "greeter.ts",
  `import { definePlugin } from "hotline";
export default definePlugin({ name: "greeter", on: { "message:text": async (e, ctx) => { await ctx.reply("hello"); } } });
`,
);
plugins.write(
  "greeter.next.ts",
  `import { definePlugin } from "hotline";
export default definePlugin({ name: "greeter", on: { "message:text": async (e, ctx) => { await ctx.reply("hi, " + e.message.text); } } });
`,
);
const dataDir = mkdtempSync(join(tmpdir(), "hotline-sim-shadow-"));
let local: LocalHotline;

beforeAll(async () => {
  const configFile = join(dataDir, "hotline.config.json");
  writeFileSync(configFile, JSON.stringify({ plugins: { greeter: { shadow: true } } }));
  local = await startLocalHotline({
    env: parseEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      PLUGINS_DIR: plugins.dir,
      CONFIG_FILE: configFile,
      LOG_LEVEL: "silent",
    }),
    tuning: { watch: false },
  });
});
afterAll(async () => {
  await local?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  plugins.remove();
});

test("the next version's answer is listed under the live delivery, marked as not sent", async () => {
  const dev = `${local.hotline.url}/dev`;
  const sent = await fetch(`${dev}/api/send`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "text", chat: "user", user: PEOPLE[0]?.id, text: "how are you" }),
  });
  expect(sent.status).toBe(200);
  await local.hotline.dispatcher.idle();
  await local.hotline.shadow?.runner.idle();
  const state = (await (await fetch(`${dev}/api/state`)).json()) as {
    recent: Array<{ plugin: string; status: string; shadow: string | null }>;
  };
  expect(state.recent).toContainEqual(
    expect.objectContaining({ plugin: "greeter", status: "done", shadow: '"hi, how are you"' }),
  );
  const page = await (await fetch(dev)).text();
  expect(page).toContain(`class: "shadow"`);
});
