/**
 * `bun run new-plugin <name>`: creates `plugins/<name>.ts` and `test/plugins/<name>.test.ts` from
 * a template whose test passes as generated. Refuses invalid or existing names.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { PLUGIN_NAME } from "../src/plugin-host/manifest.ts";

const root = resolve(import.meta.dir, "..");
const args = process.argv.slice(2);
const option = (flag: string) => {
  const index = args.indexOf(flag);
  return index === -1 ? undefined : args.splice(index, 2)[1];
};
// --plugins-dir and --tests-dir are for tools and tests; people use the defaults.
const pluginsDirOption = option("--plugins-dir");
const testsDirOption = option("--tests-dir");
const name = args[0] ?? "";

function fail(message: string): never {
  console.error(`new-plugin: ${message}`);
  process.exit(1);
}

if (!PLUGIN_NAME.test(name) || name.length > 64) {
  fail(
    `"${name}" is not a valid plugin name: use kebab-case, like "my-plugin" (usage: bun run new-plugin <name>)`,
  );
}
const pluginsDir = resolve(root, pluginsDirOption ?? process.env.PLUGINS_DIR ?? "plugins");
const pluginFile = join(pluginsDir, `${name}.ts`);
const testFile = join(resolve(root, testsDirOption ?? "test/plugins"), `${name}.test.ts`);
for (const file of [pluginFile, join(pluginsDir, name), testFile]) {
  if (existsSync(file))
    fail(`${relative(root, file)} already exists; pick another name or edit that plugin`);
}

const plugin = `import { definePlugin, z } from "hotline";

export default definePlugin({
  name: "${name}",
  description: "Replies to a greeting",
  settings: z.object({
    trigger: z.string().default("hello"),
    answer: z.string().default("Hello from ${name}!"),
  }),
  on: {
    "message:text": async (event, ctx) => {
      if (event.message.text.trim().toLowerCase() !== ctx.settings.trigger) return;
      // State outlives restarts and reloads: ctx.kv, or tables (docs/authoring.md, "State").
      const greeted = ((await ctx.kv.get<number>("greeted")) ?? 0) + 1;
      await ctx.kv.set("greeted", greeted);
      await ctx.reply(ctx.settings.answer);
    },
  },
});
`;

const importPath = relative(dirname(testFile), pluginFile).replaceAll("\\\\", "/");
const test = `import { afterAll, beforeAll, expect, test } from "bun:test";
import { event, startTestBot, type TestBot } from "hotline/testing";

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({ plugins: [new URL("${importPath}", import.meta.url)] });
});
afterAll(() => bot.stop());

test("answers the trigger, and counts it", async () => {
  const hello = event.text("hello");
  await bot.deliver(hello);
  expect(bot.repliesTo(hello)).toEqual([{ type: "text", text: "Hello from ${name}!" }]);
  expect(await bot.kv("${name}").get("greeted")).toBe(1);
});

test("ignores other text", async () => {
  const other = event.text("something else");
  await bot.deliver(other);
  await bot.expectNoReply(other);
});
`;

mkdirSync(dirname(pluginFile), { recursive: true });
mkdirSync(dirname(testFile), { recursive: true });
writeFileSync(pluginFile, plugin, { flag: "wx" });
writeFileSync(testFile, test, { flag: "wx" });
console.log(`created ${relative(root, pluginFile)} and ${relative(root, testFile)}`);
console.log(`run its test: bun test ${relative(root, testFile)}`);
console.log("a running bot loads it right away (hot reload); edit it and save to see changes.");
