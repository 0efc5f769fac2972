/**
 * `ctx.api` as a plugin uses it: the SDK's clients in the plugin's worker, through the host's
 * proxy, to the LINE stand-in behind two servers playing LINE's hosts (api.line.me and
 * api-data.line.me), which record what reached each.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPluginsDir, startTestBot, type TestBot, user } from "../../src/dev/testing/mod.ts";
import { samplePng } from "../e2e/png.ts";
import { sample, scrape } from "../metrics/prom.ts";

const PLUGIN = `
import { definePlugin } from "hotline";

export default definePlugin({
  name: "raw-api",
  setup(ctx) {
    // A rich menu from an image an admin posts: the menu on the Messaging API, its image on the
    // data API.
    ctx.route("POST", "/menu", async (request) => {
      const size = { width: 800, height: 270 };
      const { richMenuId } = await ctx.api.createRichMenu({
        size,
        selected: false,
        name: "main",
        chatBarText: "Menu",
        areas: [{ bounds: { x: 0, y: 0, ...size }, action: { type: "postback", data: "menu" } }],
      });
      const image = new Blob([await request.arrayBuffer()], { type: "image/png" });
      await ctx.api.blob.setRichMenuImage(richMenuId, image);
      await ctx.api.setDefaultRichMenu(richMenuId);
      return Response.json({ richMenuId });
    });
  },
  on: { "message:text": () => {} },
});
`;

/** One of LINE's hosts, in front of the stand-in: what reached it. */
class LineHost {
  readonly reached: string[] = [];
  readonly #server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: 8 << 20,
    fetch: (request) => {
      this.reached.push(`${request.method} ${new URL(request.url).pathname}`);
      return bot.line.fetch(request);
    },
  });

  get url(): string {
    return `http://127.0.0.1:${this.#server.port}`;
  }

  stop(): Promise<void> {
    return this.#server.stop(true);
  }
}

const api = new LineHost();
const data = new LineHost();
const plugins = createPluginsDir();
let bot: TestBot;

beforeAll(async () => {
  plugins.write("raw-api.ts", PLUGIN);
  bot = await startTestBot({
    pluginsDir: plugins.dir,
    env: { LINE_API_BASE_URL: api.url, LINE_DATA_API_BASE_URL: data.url },
  });
});
afterAll(async () => {
  await bot?.stop();
  await Promise.all([api.stop(), data.stop()]);
  plugins.remove();
});

let chats = 0;
const freshUser = () => user(`U${(++chats).toString(16).padStart(32, "c")}`);

const route = (path: string, body: BodyInit) =>
  fetch(`${bot.url}/plugins/raw-api${path}`, { method: "POST", body });

describe("ctx.api: the SDK's clients, through the host", () => {
  test("the blob client uploads a rich menu image to LINE's data API host", async () => {
    const png = samplePng(800, 270);
    const response = await route("/menu", png);
    expect(response.status).toBe(200);
    const { richMenuId } = (await response.json()) as { richMenuId: string };

    const menu = bot.line.richMenuOf(freshUser().userId);
    expect(menu?.richMenuId).toBe(richMenuId);
    expect(menu?.image?.contentType).toBe("image/png");
    expect(menu?.image?.bytes).toEqual(png);
    // The image went to the data API's host, the menu itself to the Messaging API's.
    const upload = `POST /v2/bot/richmenu/${richMenuId}/content`;
    expect(data.reached).toContain(upload);
    expect(api.reached).not.toContain(upload);
    expect(api.reached).toContain("POST /v2/bot/richmenu");
    expect(api.reached).toContain(`POST /v2/bot/user/all/richmenu/${richMenuId}`);
    // Counted under the blob client's method, as the Messaging API's calls are under theirs.
    const calls = (endpoint: string) =>
      sample(metrics, "hotline_line_api_calls_total", { caller: "raw-api", endpoint });
    const metrics = await scrape(bot.url);
    expect(calls("setRichMenuImage")).toBe(1);
    expect(calls("createRichMenu")).toBe(1);
  });
});
