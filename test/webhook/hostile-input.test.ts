/**
 * Hostile webhook requests, sent over HTTP to a real bot: bodies nested too deep, too many events
 * in one request, bodies over the server's cap, other methods and mistyped paths. Each is refused
 * with a reason, logged and counted, stores nothing, and the bot goes on serving.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import pino from "pino";
import {
  envelope,
  event,
  signBody,
  startTestBot,
  type TestBot,
} from "../../src/dev/testing/mod.ts";
import { sample, scrape } from "../metrics/prom.ts";

const PROJECT_ROOT = resolve(import.meta.dirname, "../..");

interface LogLine {
  msg: string;
  status?: number;
  method?: string;
  path?: string;
}

const lines: LogLine[] = [];
let bot: TestBot;

beforeAll(async () => {
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  bot = await startTestBot({ plugins: [join(PROJECT_ROOT, "plugins/echo.ts")], logger });
});
afterAll(() => bot?.stop());

const storedCount = () => bot.storedCount();
const stored = (id: string) => bot.storedEvents([id]);

async function answered(status: number): Promise<number> {
  return (
    sample(await scrape(bot.url), "hotline_webhook_requests_total", { status: `${status}` }) ?? 0
  );
}

/**
 * Sends the request, and checks what every refusal must show: the status, a log line for it, one
 * more in the counter, nothing stored. Returns the response's error.
 */
async function expectRefused(status: number, send: () => Promise<Response>): Promise<string> {
  const before = {
    counted: await answered(status),
    stored: await storedCount(),
    logged: lines.length,
  };
  const response = await send();
  expect(response.status).toBe(status);
  const { error } = (await response.json()) as { error: string };
  expect(await answered(status)).toBe(before.counted + 1);
  expect(lines.slice(before.logged)).toContainEqual(
    expect.objectContaining({ msg: "webhook", status }),
  );
  await bot.settle();
  expect(await storedCount()).toBe(before.stored);
  return error;
}

/** The bot still answers its health check and handles a real event end to end. */
async function expectStillServing(): Promise<void> {
  expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
  const text = event.text("still here");
  expect((await bot.send(text)).status).toBe(200);
  expect(await bot.waitForReply(text)).toEqual([{ type: "text", text: "still here" }]);
}

/** An event whose `message` carries a value nested so that the whole body is `depth` deep. */
function eventNested(depth: number) {
  const text = event.text("nested");
  // envelope {} → events [] → event {} → message {} → extra: the rest.
  const extra = "[".repeat(depth - 4) + "]".repeat(depth - 4);
  const json = JSON.stringify(envelope([text])).replace(
    '"type":"text"',
    `"extra":${extra},"type":"text"`,
  );
  return { text, json };
}

describe("nesting depth", () => {
  test("a signed body nesting 100,000 arrays deep: 400 with the reason, before it is parsed", async () => {
    const deep = `{"events":[${"[".repeat(100_000)}${"]".repeat(100_000)}]}`;
    const error = await expectRefused(400, () => bot.post(deep));
    expect(error).toBe("body nests arrays and objects deeper than 64 levels");
    await expectStillServing();
  });

  test("deep inside an event's own fields: refused the same way", async () => {
    const { json } = eventNested(50_000);
    const error = await expectRefused(400, () => bot.post(json));
    expect(error).toContain("deeper than 64 levels");
    await expectStillServing();
  });

  test("64 levels are accepted and stored as sent; 65 are not", async () => {
    const ok = eventNested(64);
    expect((await bot.post(ok.json)).status).toBe(200);
    const [row] = await stored(ok.text.webhookEventId);
    expect(JSON.parse(row?.body ?? "null")).toEqual(JSON.parse(ok.json).events[0]);

    const over = eventNested(65);
    await expectRefused(400, () => bot.post(over.json));
    expect(await stored(over.text.webhookEventId)).toEqual([]);
  });

  test("brackets and quotes inside strings are text, not nesting", async () => {
    const text = event.text(`${"[{".repeat(200)} \\" \\\\" ${"]}".repeat(10)}`);
    expect((await bot.send(text)).status).toBe(200);
    expect(await bot.waitForReply(text)).toEqual([{ type: "text", text: text.message.text }]);
  });
});

describe("events per request (WEBHOOK_MAX_EVENTS, default 500)", () => {
  /** Small but real events (LINE's own are larger): 10,000 fit under the 1 MiB body cap. */
  const follows = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      type: "follow",
      timestamp: 1_700_000_000_000 + i,
      source: { type: "user", userId: `U${i}` },
    }));

  test("10,000 events in one signed request: 400 naming the limit, nothing stored", async () => {
    const body = JSON.stringify(envelope(follows(10_000)));
    expect(body.length).toBeLessThan(1024 * 1024); // under the body cap: the event limit decides
    const error = await expectRefused(400, () => bot.post(body));
    expect(error).toBe("too many events in one request: 10000, at most 500 (WEBHOOK_MAX_EVENTS)");
    await expectStillServing();
  });

  test("500 events are accepted and all stored", async () => {
    const events = follows(500);
    const before = await storedCount();
    expect((await bot.post(JSON.stringify(envelope(events)))).status).toBe(200);
    expect(await storedCount()).toBe(before + 500);
  });
});

describe("every answer of the webhook is logged and counted", () => {
  test("a body over the server's cap: the 413 is the webhook's, not an unseen runtime one", async () => {
    const body = JSON.stringify(envelope([event.text("x".repeat(2 * 1024 * 1024))]));
    const error = await expectRefused(413, () => bot.post(body));
    expect(error).toBe("request body exceeds 1048576 bytes");
    await expectStillServing();
  });

  test("the same over the cap as a chunked body without Content-Length", async () => {
    const bytes = new TextEncoder().encode(
      JSON.stringify(envelope([event.text("y".repeat(2 * 1024 * 1024))])),
    );
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 64 * 1024)
          controller.enqueue(bytes.slice(i, i + 64 * 1024));
        controller.close();
      },
    });
    const send = () =>
      fetch(bot.webhookUrl, {
        method: "POST",
        headers: { "x-line-signature": signBody(bot.secret, bytes) },
        body: chunks,
        duplex: "half",
      } as RequestInit);
    await expectRefused(413, send);
    await expectStillServing();
  });

  test("another method on the webhook path: 405 with Allow: POST", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const allowed: Array<string | null> = [];
      const error = await expectRefused(405, async () => {
        const response = await fetch(bot.webhookUrl, { method });
        allowed.push(response.headers.get("allow"));
        return response;
      });
      expect(allowed).toEqual(["POST"]);
      expect(error).toBe("the webhook takes POST only");
    }
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "webhook", status: 405, method: "GET", path: "/webhook" }),
    );
  });

  test("a path below the webhook's (a mistyped webhook URL): 404, with the path in the log", async () => {
    const error = await expectRefused(404, () =>
      fetch(`${bot.webhookUrl}/callback`, { method: "POST", body: "{}" }),
    );
    expect(error).toContain("no webhook route here");
    expect(lines).toContainEqual(
      expect.objectContaining({ status: 404, method: "POST", path: "/webhook/callback" }),
    );
  });

  test("404 and 405 are exported from the start, like the other statuses", async () => {
    const text = await scrape(bot.url);
    for (const status of ["200", "400", "401", "404", "405", "413", "500"])
      expect(sample(text, "hotline_webhook_requests_total", { status })).toBeNumber();
  });
});
