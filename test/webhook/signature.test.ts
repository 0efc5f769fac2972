import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { envelope, event, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";
import { signBody, verifySignature } from "../../src/webhook/signature.ts";

const SIGNATURE_DIR = resolve(import.meta.dirname, "../../../shared/line-examples/signature");

interface Vector {
  id: string;
  bodyFile: string;
  channelSecret: string;
  xLineSignature: string;
  computedMatches: boolean;
}

const vectors: Vector[] = existsSync(SIGNATURE_DIR)
  ? JSON.parse(readFileSync(join(SIGNATURE_DIR, "vectors.json"), "utf8"))
  : [];
const vectorBody = (vector: Vector) =>
  new Uint8Array(readFileSync(join(SIGNATURE_DIR, vector.bodyFile)));

/** The webhook's answer to each vector posted with its own header (a valid signature of a body
 * that is not a webhook envelope is a 400, not a 401). */
const EXPECTED_STATUS: Record<string, number> = {
  "docs-verify-empty-events": 200,
  "nodejs-validate-ok": 400,
  "nodejs-validate-bad": 401,
  "nodejs-middleware-ok": 200,
  "nodejs-middleware-wrong": 401,
  "nodejs-middleware-short": 401,
  "nodejs-middleware-notjson": 400,
  "generated-escaped-unicode": 200,
};

const enc = new TextEncoder();

describe("verifySignature and signBody: LINE's byte-exact vectors", () => {
  if (vectors.length === 0) {
    test.skip(`skipped: ${SIGNATURE_DIR} does not exist (LINE's signature vectors are not beside the project)`, () => {});
    return;
  }

  test("all 8 vectors are there", () => {
    expect(vectors.map((v) => v.id).sort()).toEqual(Object.keys(EXPECTED_STATUS).sort());
  });

  test.each(vectors.map((v) => [v.id, v] as const))("%s", (_, vector) => {
    const body = vectorBody(vector);
    expect(signBody(vector.channelSecret, body) === vector.xLineSignature).toBe(
      vector.computedMatches,
    );
    expect(verifySignature(vector.channelSecret, body, vector.xLineSignature)).toBe(
      vector.computedMatches,
    );
  });

  test("a valid vector fails under another secret and with one byte changed", () => {
    const vector = vectors.find((v) => v.id === "generated-escaped-unicode");
    if (!vector) throw new Error("vector generated-escaped-unicode is missing");
    const body = vectorBody(vector);
    expect(verifySignature(`${vector.channelSecret}x`, body, vector.xLineSignature)).toBe(false);
    const changed = body.slice();
    changed[changed.length - 2] = (changed[changed.length - 2] ?? 0) ^ 1;
    expect(verifySignature(vector.channelSecret, changed, vector.xLineSignature)).toBe(false);
    // The same JSON value, re-serialised: the escapes become raw characters, the bytes change.
    const reserialised = enc.encode(JSON.stringify(JSON.parse(new TextDecoder().decode(body))));
    expect(verifySignature(vector.channelSecret, reserialised, vector.xLineSignature)).toBe(false);
  });
});

describe("verifySignature: headers that are not base64 of 32 bytes", () => {
  const secret = "0123456789abcdef0123456789abcdef";
  const body = enc.encode('{"events":[]}');
  const good = signBody(secret, body);

  test("the good signature verifies, from a string or from bytes", () => {
    expect(signBody(secret, '{"events":[]}')).toBe(good);
    expect(verifySignature(secret, body, good)).toBe(true);
  });

  const bad: Array<[string, string | null | undefined]> = [
    ["null", null],
    ["undefined", undefined],
    ["empty", ""],
    ["not base64", "not a signature"],
    ["padding stripped", good.replace(/=$/, "")],
    ["base64url alphabet", good.replace(/\+/g, "-").replace(/\//g, "_")],
    ["base64 of 16 bytes", Buffer.alloc(16, 7).toString("base64")],
    ["base64 of 31 bytes", Buffer.from(good, "base64").subarray(0, 31).toString("base64")],
    [
      "base64 of 33 bytes",
      Buffer.concat([Buffer.from(good, "base64"), Buffer.of(0)]).toString("base64"),
    ],
    ["hex digest", Buffer.from(good, "base64").toString("hex")],
    ["twice, comma-joined", `${good}, ${good}`],
    ["with spaces inside", `${good.slice(0, 20)} ${good.slice(20)}`],
    ["lower-cased", good.toLowerCase()],
  ];
  test.each(bad)("%s → rejected without throwing", (_, header) => {
    expect(verifySignature(secret, body, header)).toBe(false);
  });
});

describe("x-line-signature on the real route", () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ plugins: ["plugins/echo.ts"] });
  });
  afterAll(() => bot?.stop());

  const storedCount = () => bot.storedCount();
  const stored = (id: string) => bot.storedEvents([id]);

  /** Posts, expects a 401, then checks nothing was stored, run or sent. */
  async function expectRejected(
    body: string | Uint8Array<ArrayBuffer>,
    signature: string | null,
    eventId: string,
  ): Promise<string> {
    const requests = bot.line.requests.length;
    const before = await storedCount();
    const response = await bot.post(body, { signature });
    expect(response.status).toBe(401);
    const { error } = (await response.json()) as { error: string };
    await bot.settle();
    expect(await storedCount()).toBe(before);
    expect(await stored(eventId)).toEqual([]);
    expect(bot.line.requests.length).toBe(requests);
    return error;
  }

  test("a valid signature (header name in any case) is accepted", async () => {
    const text = event.text("signed");
    bot.line.issueReplyToken(text.replyToken);
    const body = JSON.stringify(envelope([text]));
    const response = await bot.post(body, {
      signature: null,
      headers: { "X-Line-Signature": signBody(bot.secret, body) },
    });
    expect(response.status).toBe(200);
    expect(await bot.waitForReply(text)).toEqual([{ type: "text", text: "signed" }]);
  });

  test("a missing header: 401, nothing stored, no LINE API call", async () => {
    const text = event.text("unsigned");
    bot.line.issueReplyToken(text.replyToken);
    const error = await expectRejected(JSON.stringify(envelope([text])), null, text.webhookEventId);
    expect(error).toBe("missing x-line-signature header");
  });

  test("a missing header is answered before the body is read", async () => {
    // Headers promise 100 kB, only a few bytes follow: an answer can only come from not waiting.
    const url = new URL(bot.webhookUrl);
    const head = [
      `POST ${url.pathname} HTTP/1.1`,
      `Host: ${url.host}`,
      "Content-Type: application/json",
      "Content-Length: 100000",
      "",
      "",
    ].join("\r\n");
    const answer = await new Promise<string>((resolvePromise, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`${head}{"events":[`);
      });
      let received = "";
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer within 2 s while the body was incomplete: ${received}`));
      }, 2000);
      socket.on("data", (chunk) => {
        received += chunk.toString();
        if (!received.includes("\r\n\r\n")) return;
        clearTimeout(timer);
        socket.destroy();
        resolvePromise(received);
      });
      socket.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 401 Unauthorized");
  });

  test.each([
    ["garbage", "not a signature"],
    ["empty", ""],
    ["padding stripped", "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM"],
    ["base64 of 16 bytes", Buffer.alloc(16, 1).toString("base64")],
    ["base64 of 64 bytes", Buffer.alloc(64, 1).toString("base64")],
  ])("a header that is not base64 of 32 bytes (%s): 401, no work", async (_, signature) => {
    const text = event.text("malformed header");
    bot.line.issueReplyToken(text.replyToken);
    const body = JSON.stringify(envelope([text]));
    // An empty header value is no header at all to some clients: either 401 reason is right.
    const error = await expectRejected(body, signature, text.webhookEventId);
    expect(error).toMatch(/x-line-signature/);
  });

  test("the right signature in the wrong alphabet (base64url): 401", async () => {
    // Pick an event whose signature has a + or /, so the url-safe form really differs.
    for (let i = 0; i < 50; i++) {
      const text = event.text(`url-safe ${i}`);
      const body = JSON.stringify(envelope([text]));
      const signature = signBody(bot.secret, body);
      const urlSafe = signature.replace(/\+/g, "-").replace(/\//g, "_");
      if (urlSafe === signature) continue;
      await expectRejected(body, urlSafe, text.webhookEventId);
      return;
    }
    throw new Error("no signature with + or / in 50 tries");
  });

  test("signed over other bytes of the same JSON (whitespace): 401", async () => {
    const text = event.text("whitespace");
    const compact = JSON.stringify(envelope([text]));
    const pretty = JSON.stringify(envelope([text]), null, 2);
    await expectRejected(pretty, signBody(bot.secret, compact), text.webhookEventId);
  });

  test("signed over other bytes of the same JSON (\\u escapes vs raw UTF-8): 401", async () => {
    const raw = event.text("🤨 hmm");
    const rawBody = JSON.stringify(envelope([raw]));
    const escapedBody = rawBody.replace("🤨", "\\ud83e\\udd28");
    expect(escapedBody).not.toBe(rawBody);
    expect(JSON.parse(escapedBody)).toEqual(JSON.parse(rawBody));
    await expectRejected(escapedBody, signBody(bot.secret, rawBody), raw.webhookEventId);
    await expectRejected(rawBody, signBody(bot.secret, escapedBody), raw.webhookEventId);
  });

  test("raw UTF-8 emoji and \\uD83E\\uDD28 escapes both verify over their exact bytes", async () => {
    const raw = event.text("🤨 raw");
    const escaped = event.text("🤨 escaped");
    const rawBody = JSON.stringify(envelope([raw]));
    const escapedBody = JSON.stringify(envelope([escaped])).replace("🤨", "\\uD83E\\uDD28");
    expect(escapedBody).toContain("\\uD83E\\uDD28 escaped");
    expect(rawBody).toContain("🤨 raw");
    for (const [sent, body] of [
      [raw, rawBody],
      [escaped, escapedBody],
    ] as const) {
      bot.line.issueReplyToken(sent.replyToken);
      const response = await bot.post(enc.encode(body));
      expect(response.status).toBe(200);
      expect(await bot.waitForReply(sent)).toEqual([{ type: "text", text: sent.message.text }]);
    }
  });
});

describe("LINE's vectors posted to the real route", () => {
  if (vectors.length === 0) {
    test.skip(`skipped: ${SIGNATURE_DIR} does not exist (LINE's signature vectors are not beside the project)`, () => {});
    return;
  }
  const secrets = [...new Set(vectors.map((v) => v.channelSecret))];
  const bots = new Map<string, TestBot>();
  beforeAll(async () => {
    for (const secret of secrets) {
      bots.set(secret, await startTestBot({ env: { LINE_CHANNEL_SECRET: secret } }));
    }
  });
  afterAll(async () => {
    for (const bot of bots.values()) await bot.stop();
  });

  test.each(vectors.map((v) => [v.id, v] as const))("%s", async (id, vector) => {
    const bot = bots.get(vector.channelSecret);
    if (!bot) throw new Error(`no bot for ${id}`);
    const response = await bot.post(vectorBody(vector), { signature: vector.xLineSignature });
    expect(response.status).toBe(EXPECTED_STATUS[id] ?? (vector.computedMatches ? 200 : 401));
  });

  test("the escaped-unicode vector, re-serialised, no longer verifies: 401", async () => {
    const vector = vectors.find((v) => v.id === "generated-escaped-unicode");
    if (!vector) throw new Error("vector generated-escaped-unicode is missing");
    const bot = bots.get(vector.channelSecret);
    if (!bot) throw new Error("no bot for the vector's secret");
    const reserialised = JSON.stringify(JSON.parse(new TextDecoder().decode(vectorBody(vector))));
    const response = await bot.post(reserialised, { signature: vector.xLineSignature });
    expect(response.status).toBe(401);
  });
});
