import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { createPluginsDir, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";

/**
 * A plugin looking for the host's secrets the ways plugin code can: the environment (process.env,
 * Bun.env, Deno.env) and everything reachable from its context and its global scope.
 */
const CONTENT_ID = "100000000000000001";
const CONTENT = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);

const snoop = (names: string[]) => `import { definePlugin } from "hotline";
const NAMES = ${JSON.stringify(names)};
const runtime = globalThis;

// The latest request the plugin's LINE clients made, as the plugin saw it leave: each route below
// reports the one its own call made (the first of the worker's could be either route's).
let latest;
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const request = new Request(input, init);
  latest = { url: request.url, authorization: request.headers.get("authorization") };
  return realFetch(input, init);
};

function read(env) {
  const out = {};
  for (const name of NAMES) {
    try {
      out[name] = env(name) ?? null;
    } catch (error) {
      out[name] = "threw: " + error;
    }
  }
  return out;
}

/** Every string reachable from the roots: own properties, getters, prototypes, map entries. */
function strings(roots) {
  const found = new Set();
  const seen = new Set();
  const queue = [...roots];
  while (queue.length > 0 && seen.size < 200_000) {
    const value = queue.pop();
    if (typeof value === "string") {
      found.add(value.slice(0, 10_000));
      continue;
    }
    if ((typeof value !== "object" && typeof value !== "function") || value === null) continue;
    if (seen.has(value)) continue;
    seen.add(value);
    if (value instanceof Map) for (const entry of value) queue.push(...entry);
    if (value instanceof Headers) for (const entry of value) queue.push(...entry);
    let keys = [];
    try {
      keys = Reflect.ownKeys(value);
      queue.push(Reflect.getPrototypeOf(value));
    } catch {}
    for (const key of keys) {
      try {
        const item = value[key];
        // A getter read off a prototype may answer a rejected promise (a stream writer's
        // "closed"): handled here, or it would crash the worker under the next test.
        if (item instanceof Promise) item.catch(() => {});
        queue.push(item);
      } catch {}
    }
  }
  return [...found];
}

export default definePlugin({
  name: "snoop",
  setup(ctx) {
    ctx.route("GET", "/env", () =>
      Response.json({
        processEnv: read((name) => process.env[name]),
        bunEnv: runtime.Bun ? read((name) => runtime.Bun.env[name]) : undefined,
        denoEnv: runtime.Deno ? read((name) => runtime.Deno.env.get(name)) : undefined,
        whole: { ...process.env },
      }),
    );
    ctx.route("GET", "/strings", () => Response.json(strings([ctx, globalThis])));
    ctx.route("GET", "/line", async () => {
      const botInfo = await ctx.api.getBotInfo();
      return Response.json({ botInfo, seen: latest });
    });
    // The data API's client, reading a message's content.
    ctx.route("GET", "/data", async () => {
      const { httpResponse, body } = await ctx.api.blob.getMessageContentWithHttpInfo("${CONTENT_ID}");
      let size = 0;
      for await (const chunk of body) size += chunk.length;
      return Response.json({ status: httpResponse.status, size, seen: latest });
    });
  },
  on: { "message:text": (event, ctx) => ctx.reply("snoop") },
});
`;

// Planted in the host's own environment while the bot runs: the names hotline reads, and one it
// has never heard of (an allow-list keeps it out too).
const PLANTED: Record<string, string> = {
  LINE_CHANNEL_SECRET: `planted-secret-${randomBytes(8).toString("hex")}`,
  LINE_CHANNEL_ACCESS_TOKEN: `planted-token-${randomBytes(8).toString("hex")}`,
  ADMIN_TOKEN: `planted-admin-${randomBytes(16).toString("hex")}`,
  METRICS_TOKEN: `planted-metrics-${randomBytes(8).toString("hex")}`,
  // On PostgreSQL (the suites CI runs there) the real one is a secret already: it stays.
  DATABASE_URL:
    process.env.DATABASE_URL ||
    `planted://hotline:planted-${randomBytes(8).toString("hex")}@host/db`,
  SOME_OTHER_API_KEY: `planted-other-${randomBytes(8).toString("hex")}`,
};
const NAMES = Object.keys(PLANTED);
const hostEnvBefore = new Map(NAMES.map((name) => [name, process.env[name]]));

let bot: TestBot;
let plugins: ReturnType<typeof createPluginsDir>;

beforeAll(async () => {
  Object.assign(process.env, PLANTED);
  plugins = createPluginsDir();
  plugins.write("snoop.ts", snoop(NAMES));
  bot = await startTestBot({ pluginsDir: plugins.dir });
  bot.line.addContent(CONTENT_ID, { bytes: CONTENT, contentType: "image/jpeg" });
});

afterAll(async () => {
  await bot?.stop();
  plugins?.remove();
  for (const [name, value] of hostEnvBefore) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${bot.url}/plugins/snoop${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

interface LineReport {
  botInfo: { userId: string };
  seen: { url: string; authorization: string };
}

interface DataReport {
  status: number;
  size: number;
  seen: { url: string; authorization: string };
}

const channelToken = () => bot.hotline.config.env.LINE_CHANNEL_ACCESS_TOKEN as string;

/** Polls a condition that no event announces (a retired worker's release), for 5 s at most. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met within 5 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface EnvReport {
  processEnv: Record<string, string | null>;
  bunEnv?: Record<string, string | null>;
  denoEnv?: Record<string, string | null>;
  whole: Record<string, string>;
}

describe("what a plugin's worker can see of the host", () => {
  test("none of the host's secrets is in its environment: reading one gives undefined", async () => {
    const report = await get<EnvReport>("/env");
    const nothing = Object.fromEntries(NAMES.map((name) => [name, null]));
    expect(report.processEnv).toEqual(nothing);
    if (report.bunEnv) expect(report.bunEnv).toEqual(nothing);
    if (report.denoEnv) expect(report.denoEnv).toEqual(nothing);
  });

  test("its environment is the host's machine description only (PATH, locale, NODE_ENV…)", async () => {
    const { whole } = await get<EnvReport>("/env");
    for (const [name, value] of Object.entries(whole)) {
      expect(name).toMatch(/^(PATH|HOME|TMPDIR|TZ|LANG|LANGUAGE|NODE_ENV|LC_\w+)$/);
      expect(value).toBe(process.env[name] as string);
    }
    if (process.env.PATH) expect(whole.PATH).toBe(process.env.PATH);
  });

  test("no string reachable from its context or its globals holds the channel's secret or token", async () => {
    const { seen } = await get<DataReport>("/data");
    const found = await get<string[]>("/strings");
    // The walk does reach into the context: the plugin's own name is in it, and so is the address
    // its data API client calls (ctx.api.blob, a member of ctx.api).
    expect(found).toContain("snoop");
    expect(found).toContain(new URL(seen.url).origin);
    const { LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN } = bot.hotline.config.env;
    for (const secret of [
      LINE_CHANNEL_SECRET,
      LINE_CHANNEL_ACCESS_TOKEN,
      ...Object.values(PLANTED),
    ])
      expect(found.filter((text) => text.includes(secret as string))).toEqual([]);
  });

  test("its LINE calls carry a capability of its own, which the host swaps for the token", async () => {
    const { botInfo, seen } = await get<LineReport>("/line");
    // LINE answered: the stand-in answers only requests bearing the channel's token.
    expect(botInfo.userId).toBe(bot.line.botUserId);
    expect(new URL(seen.url).hostname).toBe("127.0.0.1");
    expect(seen.authorization).toStartWith("Bearer ");
    expect(seen.authorization).not.toContain(channelToken());
  });

  test("its data API client (ctx.api.blob) goes through the proxy the same way", async () => {
    const line = await get<LineReport>("/line");
    const data = await get<DataReport>("/data");
    // LINE answered with the content: the stand-in answers only the channel's token.
    expect(data).toMatchObject({ status: 200, size: CONTENT.length });
    const url = new URL(data.seen.url);
    expect(url.hostname).toBe("127.0.0.1");
    expect(url.pathname).toBe(`/v2/bot/message/${CONTENT_ID}/content`);
    // The proxy's data server, not its Messaging API one; the same capability on both.
    expect(url.origin).not.toBe(new URL(line.seen.url).origin);
    expect(data.seen.authorization).toBe(line.seen.authorization);
    expect(data.seen.authorization).not.toContain(channelToken());
  });

  test("a capability opens LINE only while its worker lives", async () => {
    const { seen } = await get<LineReport>("/line");
    const call = async (authorization: string) =>
      (await fetch(seen.url, { headers: { authorization } })).status;
    expect(await call(seen.authorization)).toBe(200);
    expect(await call(`Bearer ${randomBytes(32).toString("base64url")}`)).toBe(401);
    // Not even the channel's own token: the proxy takes workers' capabilities only.
    expect(await call(`Bearer ${channelToken()}`)).toBe(401);

    // A new version: the old worker is retired (after its teardown), and its capability with it.
    const file = plugins.write("snoop.ts", `${snoop(NAMES)}\n// version 2\n`);
    await bot.hotline.plugins.reload([file]);
    const fresh = await get<LineReport>("/line");
    expect(fresh.seen.authorization).not.toBe(seen.authorization);
    await until(async () => (await call(seen.authorization)) === 401);
    expect(await call(fresh.seen.authorization)).toBe(200);
  });

  test("the host's own environment is untouched", () => {
    for (const [name, value] of Object.entries(PLANTED)) expect(process.env[name]).toBe(value);
  });
});
