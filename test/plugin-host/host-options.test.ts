import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "../../src/config/env.ts";
import { DEFAULT_TUNING, resolveConfig, type Tuning } from "../../src/config/options.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { parseEvent } from "../../src/core/parsed-event.ts";
import { createPluginsDir, event } from "../../src/dev/testing/mod.ts";
import type { DeliveryJob } from "../../src/dispatch/types.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { PluginHost } from "../../src/plugin-host/host.ts";
import { pluginSchedules } from "../../src/schedules/service.ts";
import { SqlitePluginState } from "../../src/storage/sqlite/plugin-state-store.ts";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.ts";

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

function scratchEnv() {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  plugins.write("slow.ts", slow);
  const dataDir = mkdtempSync(join(tmpdir(), "hotline-host-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const store = SqliteStore.open(dataDir, new ManualClock());
  cleanups.push(() => store.close());
  const pluginState = SqlitePluginState.open(
    dataDir,
    new ManualClock(),
    DEFAULT_TUNING.pluginState,
  );
  cleanups.push(() => pluginState.close());
  const env = parseEnv({
    DATA_DIR: dataDir,
    PLUGINS_DIR: plugins.dir,
    CONFIG_FILE: join(dataDir, "none.json"),
    HANDLER_TIMEOUT_MS: "1000",
  });
  return { env, dataDir, state: { plugins: pluginState, users: store } };
}

/** A host on the "slow" plugin with these knobs; resolves with a way to ask which worker answers. */
async function hostWith(tuning: Partial<Tuning>) {
  const { env, dataDir, state } = scratchEnv();
  const host = new PluginHost({
    config: resolveConfig(env, { watch: false, ...tuning }),
    clock: new ManualClock(),
    log: silentLogger,
    line: {
      apiBaseUrl: "http://127.0.0.1:9",
      dataApiBaseUrl: "http://127.0.0.1:9",
      channelAccessToken: "unused",
    },
    worker: { dataDir },
    state,
    pushOutsideEvent: async () => {},
    postbackKey: () => new Uint8Array(32),
    schedules: pluginSchedules(state.users, new ManualClock()),
  });
  await host.start("");
  cleanups.push(() => host.stop());

  const replies: string[] = [];
  const job = (text: string): DeliveryJob => ({
    eventId: text,
    parsed: parseEvent(event.text(text), 0),
    destination: undefined,
    chat: undefined,
    attempt: 1,
    sessions: {},
    reply: async (messages) => {
      for (const message of messages) if (message.type === "text") replies.push(message.text);
    },
    push: async () => {},
  });
  return {
    host,
    async worker() {
      expect(await host.deliver("slow", job("who"))).toEqual({ status: "ok" });
      return replies.at(-1);
    },
    async busyPastDeadline() {
      expect(await host.deliver("slow", job("slow"))).toMatchObject({
        status: "failed",
        timedOut: true,
      });
    },
  };
}

test("a knob given as undefined keeps its default", () => {
  const { env } = scratchEnv();
  const config = resolveConfig(env, { hangGraceMs: undefined, drainMs: 5 });
  expect(config.tuning.hangGraceMs).toBe(DEFAULT_TUNING.hangGraceMs);
  expect(config.tuning.drainMs).toBe(5);
  expect(config.tuning.breaker).toEqual(DEFAULT_TUNING.breaker);
});

test("the host honours the hang grace it is given", async () => {
  // With the default grace (1 s), a thread busy for 300 ms answers its ping in time: the worker
  // is kept.
  const patient = await hostWith({ hangGraceMs: undefined });
  const first = await patient.worker();
  await patient.busyPastDeadline();
  expect(await patient.worker()).toBe(first);

  // With a 50 ms grace the same thread counts as hung: its worker is replaced by a fresh one.
  const strict = await hostWith({ hangGraceMs: 50 });
  const before = await strict.worker();
  await strict.busyPastDeadline();
  const after = await strict.worker();
  expect(after).toBeString();
  expect(after).not.toBe(before);
});
