import { afterEach, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createPluginsDir, event, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let bot: TestBot | undefined;
let scratch: ReturnType<typeof createPluginsDir> | undefined;
afterEach(async () => {
  await bot?.stop();
  scratch?.remove();
  bot = undefined;
  scratch = undefined;
});

function run(args: string[]) {
  const child = Bun.spawnSync([process.execPath, ...args], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: child.exitCode, out: `${child.stdout.toString()}${child.stderr.toString()}` };
}

test("a scaffolded plugin passes its test, edited to ping/pong passes again, and a running bot hot-loads it", async () => {
  scratch = createPluginsDir();
  const plugins = join(scratch.dir, "plugins");
  const tests = join(scratch.dir, "tests");
  const scaffold = (name: string) =>
    run(["scripts/new-plugin.ts", name, "--plugins-dir", plugins, "--tests-dir", tests]);

  expect(scaffold("ping-pong").code).toBe(0);
  const pluginFile = join(plugins, "ping-pong.ts");
  const testFile = join(tests, "ping-pong.test.ts");
  expect(run(["test", testFile]).code).toBe(0);

  // Refuses an existing or invalid name, saying why.
  expect(scaffold("ping-pong")).toMatchObject({
    code: 1,
    out: expect.stringContaining("already exists"),
  });
  expect(scaffold("Ping_Pong")).toMatchObject({
    code: 1,
    out: expect.stringContaining("kebab-case"),
  });

  bot = await startTestBot({ pluginsDir: plugins, tuning: { watch: true } });
  const edit = (file: string, from: string, to: string) =>
    writeFileSync(file, readFileSync(file, "utf8").replaceAll(from, to));
  edit(pluginFile, 'default("hello")', 'default("ping")');
  edit(pluginFile, 'default("Hello from ping-pong!")', 'default("pong")');
  edit(testFile, 'event.text("hello")', 'event.text("ping")');
  edit(testFile, "Hello from ping-pong!", "pong");
  expect(run(["test", testFile]).code).toBe(0);

  // The run above blocks this thread: the watcher sees the edits only now, so wait from here.
  await bot.waitForPlugin((e) => e.type === "loaded" && e.name === "ping-pong" && e.reload, 15_000);
  const ping = event.text("ping");
  await bot.deliver(ping);
  expect(bot.repliesTo(ping)).toEqual([{ type: "text", text: "pong" }]);
}, 60_000); // three `bun test` child processes and a bot: seconds each on a loaded machine
