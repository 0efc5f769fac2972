import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/core/clock.ts";
import { createPluginsDir, event } from "../../src/dev/testing/mod.ts";
import type { DeliveryJob } from "../../src/dispatch/types.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { PluginHost } from "../../src/plugin-host/host.ts";
import { openDatabase } from "../../src/storage/database.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Answers with the id of its worker; "slow" keeps the thread busy past its 100 ms deadline. */
const slow = `import { definePlugin } from "hotline";
const worker = crypto.randomUUID();
export default definePlugin({
  name: "slow",
  timeoutMs: 100,
  on: {
    "message:text": async (event, ctx) => {
      if (event.message.text === "slow") {
        const until = performance.now() + 300;
        while (performance.now() < until) {}
      }
      await ctx.reply(worker);
    },
  },
});
`;

test("options passed as undefined take the host's defaults (startHotline passes them through)", async () => {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  plugins.write("slow.ts", slow);
  const dataDir = mkdtempSync(join(tmpdir(), "hotline-host-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const database = openDatabase(dataDir);
  cleanups.push(() => database.close());

  const host = new PluginHost({
    pluginsDir: plugins.dir,
    configFile: join(dataDir, "none.json"),
    env: {
      dataDir,
      apiBaseUrl: "http://127.0.0.1:9",
      dataApiBaseUrl: "http://127.0.0.1:9",
      channelAccessToken: "unused",
      publicUrl: "",
    },
    clock: new ManualClock(),
    log: silentLogger,
    defaultTimeoutMs: 1000,
    watch: false,
    loadTimeoutMs: undefined,
    hangGraceMs: undefined,
    drainMs: undefined,
    debounceMs: undefined,
    breaker: undefined,
    pushOutsideEvent: async () => {},
    onRemoved: () => {},
    onAvailable: () => {},
  });
  await host.start();
  cleanups.push(() => host.stop());

  const replies: string[] = [];
  const job = (text: string): DeliveryJob => ({
    eventId: text,
    parsed: { kind: "known", event: event.text(text) },
    destination: undefined,
    chat: undefined,
    attempt: 1,
    reply: async (messages) => {
      for (const message of messages) if (message.type === "text") replies.push(message.text);
    },
    push: async () => {},
  });
  const worker = async () => {
    expect(await host.deliver("slow", job("who"))).toEqual({ status: "ok" });
    return replies.at(-1);
  };

  const before = await worker();
  expect(await host.deliver("slow", job("slow"))).toMatchObject({
    status: "failed",
    timedOut: true,
  });
  // With the default hang grace (1 s), a thread busy for 300 ms answers its ping in time: the
  // worker is kept. An undefined grace would have ended it at once.
  expect(await worker()).toBe(before);
});
