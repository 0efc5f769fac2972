import { afterEach, describe, expect, test } from "bun:test";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createPluginsDir,
  DEFAULT_USER_ID,
  event,
  group,
  startTestBot,
  type TestBot,
  type TestBotOptions,
} from "../../src/dev/testing/mod.ts";
import type { HostEvent } from "../../src/plugin-host/host.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A watched bot on a scratch plugins directory holding `files`. */
async function watchedBot(files: Record<string, string>, tuning: TestBotOptions["tuning"] = {}) {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  for (const [file, source] of Object.entries(files)) plugins.write(file, source);
  const bot = await startTestBot({ pluginsDir: plugins.dir, tuning: { watch: true, ...tuning } });
  cleanups.push(() => bot.stop());
  return { bot, plugins, path: (file: string) => join(plugins.dir, file) };
}

/** A plugin that answers every text with `<reply> <text>`. */
const replier = (name: string, reply: string) => `import { definePlugin } from "hotline";
export default definePlugin({
  name: ${JSON.stringify(name)},
  on: {
    "message:text": async (event, ctx) => {
      await ctx.reply(${JSON.stringify(reply)} + " " + event.message.text);
    },
  },
});
`;

const texts = (bot: TestBot, ev: { replyToken?: string | null }) =>
  (bot.repliesTo(ev) as Array<{ text?: string }>).map((m) => m.text);

const statusOf = (bot: TestBot, name: string) =>
  bot.hotline.plugins.statuses().find((s) => s.name === name);

const loaded =
  (name: string) =>
  (e: HostEvent): e is Extract<HostEvent, { type: "loaded" }> =>
    e.type === "loaded" && e.name === name;

describe("hot reload", () => {
  test("a plugin file added while the bot runs is loaded and handles the next event", async () => {
    const { bot, plugins } = await watchedBot({ "first.ts": replier("first", "first:") });
    const added = bot.waitForPlugin(loaded("second"));
    plugins.write("second.ts", replier("second", "second:"));
    expect(await added).toMatchObject({ type: "loaded", name: "second", reload: false });

    const ev = event.text("hi");
    await bot.deliver(ev);
    expect(texts(bot, ev).sort()).toEqual(["first: hi", "second: hi"]);
  });

  test("a folder plugin added while the bot runs is loaded with its helper", async () => {
    const { bot, plugins } = await watchedBot({ "first.ts": replier("first", "first:") });
    // The entry lands before the helper it imports, as a copy of a folder may do: it fails, and
    // the helper arriving later (a new file nothing imports yet) loads it.
    const incomplete = bot.waitForPlugin(
      (e) => e.type === "failed" && e.error.includes("prefix.ts"),
    );
    plugins.write(
      "folder/index.ts",
      `import { definePlugin } from "hotline";
import { prefix } from "./prefix.ts";
export default definePlugin({
  name: "folder",
  on: { "message:text": async (event, ctx) => { await ctx.reply(prefix + event.message.text); } },
});
`,
    );
    await incomplete;
    const added = bot.waitForPlugin(loaded("folder"));
    plugins.write("folder/prefix.ts", `export const prefix = "folder: ";\n`);
    expect(await added).toMatchObject({ reload: false });

    const ev = event.text("hi");
    await bot.deliver(ev);
    expect(texts(bot, ev).sort()).toEqual(["first: hi", "folder: hi"]);
  });

  test("an edited plugin file swaps to the new version with a new version hash", async () => {
    const { bot, plugins } = await watchedBot({ "greeter.ts": replier("greeter", "v1") });
    const before = statusOf(bot, "greeter")?.version;
    expect(before).toBeString();

    const first = event.text("one");
    await bot.deliver(first);
    expect(texts(bot, first)).toEqual(["v1 one"]);

    const swapped = bot.waitForPlugin(loaded("greeter"));
    plugins.write("greeter.ts", replier("greeter", "v2"));
    const done = await swapped;
    expect(done).toMatchObject({ reload: true });

    const second = event.text("two");
    await bot.deliver(second);
    expect(texts(bot, second)).toEqual(["v2 two"]);
    const after = statusOf(bot, "greeter");
    expect(after?.version).not.toBe(before);
    expect(after?.version).toBe((done as { version: string }).version);
    expect(after?.state).toBe("loaded");
  });
});

describe("hot reload of a plugin's helper modules", () => {
  const folderPlugin = `import { definePlugin } from "hotline";
import { greeting } from "./helper.ts";
export default definePlugin({
  name: "folder",
  on: { "message:text": async (_event, ctx) => { await ctx.reply(greeting()); } },
});
`;
  const helper = (text: string) => `export const greeting = () => ${JSON.stringify(text)};\n`;
  const sharedUser = (name: string) => `import { definePlugin } from "hotline";
import { shout } from "./_shared/util.ts";
export default definePlugin({
  name: ${JSON.stringify(name)},
  on: { "message:text": async (event, ctx) => { await ctx.reply(shout(${JSON.stringify(name)}, event.message.text)); } },
});
`;
  const util = (mark: string) =>
    `export const shout = (who: string, text: string) => who + ${JSON.stringify(mark)} + text.toUpperCase();\n`;

  test("editing a helper in a folder plugin reloads that plugin with the new helper", async () => {
    const { bot, plugins } = await watchedBot({
      "folder/index.ts": folderPlugin,
      "folder/helper.ts": helper("helper v1"),
    });
    const first = event.text("a");
    await bot.deliver(first);
    expect(texts(bot, first)).toEqual(["helper v1"]);

    const reloaded = bot.waitForPlugin(loaded("folder"));
    plugins.write("folder/helper.ts", helper("helper v2"));
    expect(await reloaded).toMatchObject({ reload: true });

    const second = event.text("b");
    await bot.deliver(second);
    expect(texts(bot, second)).toEqual(["helper v2"]);
  });

  test("editing a top-level _shared module reloads every file plugin importing it, and only those", async () => {
    const { bot, plugins } = await watchedBot({
      "_shared/util.ts": util(" v1: "),
      "loud.ts": sharedUser("loud"),
      "louder.ts": sharedUser("louder"),
      "quiet.ts": replier("quiet", "quiet"),
    });
    // `_shared` is a helper folder, never a plugin of its own.
    expect(bot.hotline.plugins.statuses().map((s) => s.name)).toEqual(["loud", "louder", "quiet"]);
    const quietVersion = statusOf(bot, "quiet")?.version;

    const events: HostEvent[] = [];
    const unsubscribe = bot.hotline.plugins.subscribe((e) => events.push(e));
    cleanups.push(unsubscribe);
    const both = Promise.all([
      bot.waitForPlugin(loaded("loud")),
      bot.waitForPlugin(loaded("louder")),
    ]);
    plugins.write("_shared/util.ts", util(" v2: "));
    await both;

    const ev = event.text("hey");
    await bot.deliver(ev);
    expect(texts(bot, ev).sort()).toEqual(["loud v2: HEY", "louder v2: HEY", "quiet hey"]);
    expect(
      events
        .filter((e) => e.type === "loaded")
        .map((e) => e.type === "loaded" && e.name)
        .sort(),
    ).toEqual(["loud", "louder"]);
    expect(statusOf(bot, "quiet")?.version).toBe(quietVersion);
  });
});

/** Fails its first attempt at every event, so a retry waits on the (manual) clock. */
const failsOnce = (name: string, reply: string) => `import { definePlugin } from "hotline";
export default definePlugin({
  name: ${JSON.stringify(name)},
  on: {
    "message:text": async (event, ctx) => {
      if (ctx.attempt === 1) throw new Error("first attempt fails on purpose");
      await ctx.reply(${JSON.stringify(reply)} + " " + event.message.text);
    },
  },
});
`;

describe("removing and renaming plugin files", () => {
  test("a deleted plugin is unloaded, its pending deliveries dropped with the reason, and it gets no more events", async () => {
    const { bot, path } = await watchedBot({
      "doomed.ts": failsOnce("doomed", "doomed"),
      "keeper.ts": replier("keeper", "keeper"),
    });
    const pending = event.text("before");
    await bot.deliver(pending);
    const waiting = (await bot.deliveries(pending.webhookEventId)).find(
      (d) => d.plugin === "doomed",
    );
    expect(waiting).toMatchObject({ status: "retry", attempts: 1 });
    expect(waiting?.lastError).toContain("first attempt fails on purpose");

    const unloaded = bot.waitForPlugin((e) => e.type === "unloaded" && e.name === "doomed");
    rmSync(path("doomed.ts"));
    expect(await unloaded).toMatchObject({ reason: "plugin file removed" });
    await bot.settle(); // the dispatcher drops the plugin's deliveries after the unload

    const dropped = (await bot.deliveries(pending.webhookEventId)).find(
      (d) => d.plugin === "doomed",
    );
    expect(dropped?.status).toBe("dropped");
    expect(dropped?.lastError).toContain("plugin file removed");
    expect(dropped?.lastError).toContain("doomed.ts");

    const after = event.text("after");
    await bot.deliver(after);
    expect((await bot.deliveries(after.webhookEventId)).map((d) => d.plugin)).toEqual(["keeper"]);
    expect(texts(bot, after)).toEqual(["keeper after"]);
    // The dropped retry never runs, even once it is due.
    await bot.advance(60_000);
    expect(bot.sentTexts().filter((t) => t.startsWith("doomed"))).toEqual([]);
    expect(bot.hotline.plugins.statuses().map((s) => s.name)).toEqual(["keeper"]);
    const response = await fetch(`${bot.url}/plugins/doomed/`);
    expect(response.status).toBe(404);
  });

  test("a renamed plugin file keeps the plugin running under the new file name; its pending deliveries survive", async () => {
    const { bot, path } = await watchedBot({ "old-name.ts": failsOnce("mover", "mover") });
    const events: HostEvent[] = [];
    cleanups.push(bot.hotline.plugins.subscribe((e) => events.push(e)));

    const pending = event.text("carried over");
    await bot.deliver(pending);
    expect((await bot.deliveries(pending.webhookEventId))[0]).toMatchObject({ status: "retry" });

    const moved = bot.waitForPlugin((e) => loaded("mover")(e) && e.file === path("new-name.ts"));
    renameSync(path("old-name.ts"), path("new-name.ts"));
    expect(await moved).toMatchObject({ reload: true });

    expect(events.filter((e) => e.type !== "loaded")).toEqual([]);
    expect(bot.hotline.plugins.statuses()).toMatchObject([
      { name: "mover", file: "new-name.ts", state: "loaded", error: undefined },
    ]);
    expect((await bot.deliveries(pending.webhookEventId))[0]).toMatchObject({ status: "retry" });

    const due = (await bot.deliveries(pending.webhookEventId))[0]?.nextAttemptAt ?? 0;
    await bot.advance(due - bot.clock.now());
    expect((await bot.deliveries(pending.webhookEventId))[0]).toMatchObject({
      status: "done",
      attempts: 2,
    });
    expect(bot.pushesTo(DEFAULT_USER_ID).concat(bot.repliesTo(pending))).toEqual([
      { type: "text", text: "mover carried over" },
    ]);
  });

  test("a rename is a swap even when the change report names only the old file", async () => {
    // Watchers may split a rename into two reports, or miss one side: the host looks at the
    // directory itself, so the plugin must not be dropped and reloaded as a new one.
    const { bot, path } = await watchedBot(
      { "before.ts": failsOnce("mover", "mover") },
      { watch: false },
    );
    const events: HostEvent[] = [];
    cleanups.push(bot.hotline.plugins.subscribe((e) => events.push(e)));
    const pending = event.text("still mine");
    await bot.deliver(pending);

    renameSync(path("before.ts"), path("after.ts"));
    await bot.hotline.plugins.reload([path("before.ts")]);
    expect(events.map((e) => e.type)).toEqual(["loaded"]);
    expect(bot.hotline.plugins.statuses()).toMatchObject([{ name: "mover", file: "after.ts" }]);
    expect((await bot.deliveries(pending.webhookEventId))[0]).toMatchObject({ status: "retry" });
  });
});

describe("broken plugin files", () => {
  const broken = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "steady",
  on: { "message:text": async (event, ctx) => { await ctx.reply("oops" ;
`;

  test("a syntax error is reported, the old version keeps running, and the fix loads later", async () => {
    const { bot, plugins, path } = await watchedBot({
      "steady.ts": replier("steady", "v1"),
      "other.ts": replier("other", "other v1"),
    });
    const good = statusOf(bot, "steady")?.version;

    // Matched on the error: a write seen half-done (an empty file) fails differently first.
    const failed = bot.waitForPlugin(
      (e) => e.type === "failed" && e.file === path("steady.ts") && e.error.includes("Expected"),
    );
    plugins.write("steady.ts", broken);
    const failure = await failed;
    expect(failure).toMatchObject({ type: "failed", name: "steady" });
    // The error says what is wrong and where, not just that the module did not build.
    expect((failure as { error: string }).error).toContain('Expected ")" but found ";"');
    expect((failure as { error: string }).error).toContain("steady.ts:4:");
    const status = statusOf(bot, "steady");
    expect(status).toMatchObject({ state: "loaded", version: good });
    expect(status?.error).toContain("could not import the module");

    const during = event.text("still there?");
    await bot.deliver(during);
    expect(texts(bot, during).sort()).toEqual(["other v1 still there?", "v1 still there?"]);

    // A broken file never blocks reloads of the others.
    const other = bot.waitForPlugin(loaded("other"));
    plugins.write("other.ts", replier("other", "other v2"));
    await other;
    const next = event.text("next");
    await bot.deliver(next);
    expect(texts(bot, next).sort()).toEqual(["other v2 next", "v1 next"]);

    const fixed = bot.waitForPlugin(loaded("steady"));
    plugins.write("steady.ts", replier("steady", "v2"));
    await fixed;
    expect(statusOf(bot, "steady")).toMatchObject({ state: "loaded", error: undefined });
    const last = event.text("fixed");
    await bot.deliver(last);
    expect(texts(bot, last).sort()).toEqual(["other v2 fixed", "v2 fixed"]);
  });
});

describe("reloads racing other work", () => {
  test("a delivery waiting for a worker that a reload retires meanwhile goes to the new version", async () => {
    const plugins = createPluginsDir();
    cleanups.push(plugins.remove);
    const release = join(plugins.dir, "_release");
    // "block" holds the thread (on its first attempt) until the test creates the release file.
    const swapper = (tag: string) => `import { existsSync } from "node:fs";
import { definePlugin } from "hotline";
export default definePlugin({
  name: "swapper",
  timeoutMs: 200,
  on: {
    "message:text": async (event, ctx) => {
      if (event.message.text === "block" && ctx.attempt === 1) {
        while (!existsSync(${JSON.stringify(release)})) {}
        return;
      }
      await ctx.reply("${tag} " + event.message.text);
    },
  },
});
`;
    const file = plugins.write("swapper.ts", swapper("v1"));
    // A long grace: the blocked thread is waited for, not terminated.
    const bot = await startTestBot({ pluginsDir: plugins.dir, tuning: { hangGraceMs: 30_000 } });
    cleanups.push(() => bot.stop());

    // Past its deadline the thread is still blocked: the host pings it and waits for the answer.
    await bot.deliver(event.text("block"));
    // This delivery (another chat, so it does not queue behind the first) waits for that answer,
    // holding on to the v1 worker.
    const hello = event.text("hello", { chat: group() });
    await bot.send(hello);
    // Meanwhile v2 is loaded, and the v1 worker is retired.
    plugins.write("swapper.ts", swapper("v2"));
    await bot.hotline.plugins.reload([file]);
    writeFileSync(release, "");

    expect(await bot.waitForReply(hello)).toEqual([{ type: "text", text: "v2 hello" }]);
    await bot.settle();
    expect(await bot.deliveries(hello.webhookEventId)).toMatchObject([
      { status: "done", attempts: 1 },
    ]);
  });

  test("once the host has stopped, a reload loads nothing", async () => {
    const { bot, plugins, path } = await watchedBot({ "late.ts": replier("late", "v1") });
    const seen: HostEvent[] = [];
    bot.hotline.plugins.subscribe((e) => seen.push(e));
    await bot.hotline.plugins.stop();
    plugins.write("late.ts", replier("late", "v2"));
    await bot.hotline.plugins.reload([path("late.ts")]);
    expect(seen).toEqual([]);
  });
});
