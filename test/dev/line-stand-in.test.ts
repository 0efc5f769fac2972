import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { HTTPFetchError, messagingApi } from "@line/bot-sdk";
import { LineStandIn, type LineStandInOptions } from "../../src/dev/line-stand-in/mod.ts";

const TOKEN = "test-channel-access-token";
const USER = "U0123456789abcdef0123456789abcdef";
const RETRY_KEY = "123e4567-e89b-12d3-a456-426614174000";

let clock = 1_700_000_000_000;
let standIn = makeStandIn();

function makeStandIn(options: Partial<LineStandInOptions> = {}): LineStandIn {
  return new LineStandIn({ channelAccessToken: TOKEN, now: () => clock, ...options });
}

// One server for the file; each test gets a fresh stand-in behind it.
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (request) => standIn.fetch(request),
});
const baseURL = `http://127.0.0.1:${server.port}`;
const client = new messagingApi.MessagingApiClient({ channelAccessToken: TOKEN, baseURL });
const blob = new messagingApi.MessagingApiBlobClient({ channelAccessToken: TOKEN, baseURL });

afterAll(() => server.stop(true));

beforeEach(() => {
  clock = 1_700_000_000_000;
  standIn = makeStandIn();
});

async function httpError(call: Promise<unknown>): Promise<HTTPFetchError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof HTTPFetchError) return error;
    throw error;
  }
  throw new Error("expected the call to fail with an HTTPFetchError");
}

async function bytesOf(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

const text = (value: string) => ({ type: "text" as const, text: value });

describe("auth", () => {
  test("a wrong token gets 401 with LINE's error body and a request id", async () => {
    const wrong = new messagingApi.MessagingApiClient({ channelAccessToken: "nope", baseURL });
    const error = await httpError(wrong.getBotInfo());
    expect(error.status).toBe(401);
    expect(JSON.parse(error.body)).toEqual({
      message:
        "Authentication failed. Confirm that the access token in the authorization header is valid.",
    });
    expect(error.headers.get("x-line-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(standIn.requests.map((r) => r.status)).toEqual([401]);
  });

  test("a missing Authorization header gets 401 asking for the Bearer scheme", async () => {
    const response = await fetch(`${baseURL}/v2/bot/info`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { message: string }).message).toContain("Bearer");
  });

  test("the token is not recorded", async () => {
    await client.getBotInfo();
    expect(standIn.requests[0]?.headers.authorization).toBeUndefined();
    expect(standIn.requests[0]?.headers["user-agent"]).toContain("bot-sdk");
  });
});

describe("reply", () => {
  test("a reply is accepted once; reusing the token gets 400 Invalid reply token", async () => {
    const replyToken = standIn.issueReplyToken();
    const response = await client.replyMessage({
      replyToken,
      messages: [text("hello"), { type: "sticker", packageId: "446", stickerId: "1988" }],
    });
    expect(response.sentMessages).toHaveLength(2);
    const [first, second] = response.sentMessages;
    expect(first?.id).toMatch(/^\d{18}$/);
    expect(first?.id).not.toBe(second?.id);
    expect(first?.quoteToken).toBeString();
    expect(standIn.replies).toEqual([
      {
        replyToken,
        messages: [text("hello"), { type: "sticker", packageId: "446", stickerId: "1988" }],
        notificationDisabled: false,
        sentMessages: response.sentMessages,
      },
    ]);

    const error = await httpError(client.replyMessage({ replyToken, messages: [text("again")] }));
    expect(error.status).toBe(400);
    expect(JSON.parse(error.body)).toEqual({ message: "Invalid reply token" });
    expect(standIn.replies).toHaveLength(1);
  });

  test("only quotable messages get a quote token", async () => {
    const replyToken = standIn.issueReplyToken();
    const { sentMessages } = await client.replyMessage({
      replyToken,
      messages: [
        {
          type: "image",
          originalContentUrl: "https://x/a.jpg",
          previewImageUrl: "https://x/b.jpg",
        },
      ],
    });
    expect(sentMessages[0]?.quoteToken).toBeUndefined();
  });

  test("a token expires 60 s after issue (injected clock)", async () => {
    const fresh = standIn.issueReplyToken();
    const stale = standIn.issueReplyToken();
    clock += 59_999;
    await client.replyMessage({ replyToken: fresh, messages: [text("in time")] });
    clock += 1;
    const error = await httpError(
      client.replyMessage({ replyToken: stale, messages: [text("late")] }),
    );
    expect(JSON.parse(error.body)).toEqual({ message: "Invalid reply token" });
    expect(standIn.replies.map((r) => r.replyToken)).toEqual([fresh]);
  });

  test("a redelivered token gets another minute, but not after use or after 20 minutes", async () => {
    const redelivered = standIn.issueReplyToken();
    const used = standIn.issueReplyToken();
    const old = standIn.issueReplyToken();
    await client.replyMessage({ replyToken: used, messages: [text("first")] });
    clock += 5 * 60_000;
    for (const token of [redelivered, used]) standIn.issueReplyToken(token);
    await client.replyMessage({ replyToken: redelivered, messages: [text("late but fine")] });
    const reused = await httpError(
      client.replyMessage({ replyToken: used, messages: [text("x")] }),
    );
    expect(reused.status).toBe(400);

    clock += 15 * 60_000;
    standIn.issueReplyToken(old);
    const stale = await httpError(client.replyMessage({ replyToken: old, messages: [text("x")] }));
    expect(JSON.parse(stale.body)).toEqual({ message: "Invalid reply token" });
    expect(standIn.replies.map((r) => r.replyToken)).toEqual([used, redelivered]);
  });

  test("6 messages get 400 with details, and do not use up the token", async () => {
    const replyToken = standIn.issueReplyToken();
    const six = Array.from({ length: 6 }, (_, i) => text(`m${i}`));
    const error = await httpError(client.replyMessage({ replyToken, messages: six }));
    expect(error.status).toBe(400);
    expect(JSON.parse(error.body)).toEqual({
      message: "The request body has 1 error(s)",
      details: [{ message: "Size must be between 1 and 5", property: "messages" }],
    });
    await client.replyMessage({ replyToken, messages: six.slice(0, 5) });
    expect(standIn.replies[0]?.messages).toHaveLength(5);
  });

  test("message objects are validated: empty text, over-long text, missing type", async () => {
    const replyToken = standIn.issueReplyToken();
    const messages = [
      text(""),
      text("x".repeat(5001)),
      { text: "no type" },
      text("x".repeat(5000)),
    ];
    const error = await httpError(
      client.replyMessage({ replyToken, messages: messages as messagingApi.Message[] }),
    );
    const body = JSON.parse(error.body);
    expect(body.message).toBe("The request body has 3 error(s)");
    expect(body.details.map((d: { property: string }) => d.property)).toEqual([
      "messages[0].text",
      "messages[1].text",
      "messages[2].type",
    ]);
  });

  test("an unknown token is rejected in strict mode", async () => {
    const error = await httpError(
      client.replyMessage({ replyToken: "made-up", messages: [text("hi")] }),
    );
    expect(JSON.parse(error.body)).toEqual({ message: "Invalid reply token" });
  });

  test("lenient mode accepts an unknown token once", async () => {
    standIn = makeStandIn({ strictReplyTokens: false });
    await client.replyMessage({ replyToken: "hand-written", messages: [text("hi")] });
    const error = await httpError(
      client.replyMessage({ replyToken: "hand-written", messages: [text("again")] }),
    );
    expect(error.status).toBe(400);
    expect(standIn.replies).toHaveLength(1);
  });

  test("a retry key on reply is rejected, as LINE only takes it on push-like APIs", async () => {
    const replyToken = standIn.issueReplyToken();
    const response = await fetch(`${baseURL}/v2/bot/message/reply`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/json",
        "x-line-retry-key": RETRY_KEY,
      },
      body: JSON.stringify({ replyToken, messages: [text("hi")] }),
    });
    expect(response.status).toBe(400);
    await client.replyMessage({ replyToken, messages: [text("hi")] });
  });

  test("a body that is not JSON gets 400", async () => {
    const response = await fetch(`${baseURL}/v2/bot/message/reply`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain("parsed as JSON");
  });
});

describe("push", () => {
  test("a retry key is accepted once; the same key again gets 409 naming the accepted request", async () => {
    const first = await client.pushMessageWithHttpInfo(
      { to: USER, messages: [text("once")] },
      RETRY_KEY,
    );
    expect(first.httpResponse.status).toBe(200);
    const acceptedId = first.httpResponse.headers.get("x-line-request-id");
    expect(acceptedId).toBeString();

    const error = await httpError(
      client.pushMessage({ to: USER, messages: [text("once")] }, RETRY_KEY),
    );
    expect(error.status).toBe(409);
    expect(error.headers.get("x-line-accepted-request-id")).toBe(acceptedId);
    expect(error.headers.get("x-line-request-id")).not.toBe(acceptedId);
    expect(JSON.parse(error.body)).toEqual({
      message: "The retry key is already accepted",
      sentMessages: first.body.sentMessages,
    });
    expect(standIn.pushes).toEqual([
      {
        to: USER,
        messages: [text("once")],
        notificationDisabled: false,
        retryKey: RETRY_KEY,
        sentMessages: first.body.sentMessages,
      },
    ]);
    expect(standIn.requests.map((r) => [r.status, r.retryKey])).toEqual([
      [200, RETRY_KEY],
      [409, RETRY_KEY],
    ]);
  });

  test("a retry key is forgotten after 24 hours", async () => {
    await client.pushMessage({ to: USER, messages: [text("day 1")] }, RETRY_KEY);
    clock += 24 * 60 * 60 * 1000;
    await client.pushMessage({ to: USER, messages: [text("day 2")] }, RETRY_KEY);
    expect(standIn.pushes).toHaveLength(2);
  });

  test("a retry key that is not a UUID gets 400", async () => {
    const error = await httpError(client.pushMessage({ to: USER, messages: [text("x")] }, "key-1"));
    expect(error.status).toBe(400);
    expect(standIn.pushes).toHaveLength(0);
  });

  test("pushes without a retry key are all sent; 0 messages get 400", async () => {
    await client.pushMessage({ to: USER, messages: [text("a")], notificationDisabled: true });
    await client.pushMessage({ to: USER, messages: [text("a")] });
    expect(standIn.pushes.map((p) => [p.retryKey, p.notificationDisabled])).toEqual([
      [null, true],
      [null, false],
    ]);
    const error = await httpError(client.pushMessage({ to: USER, messages: [] }));
    expect(error.status).toBe(400);
  });
});

describe("push recipients", () => {
  const GROUP = "Ca56f94637cc4347f90a25382909b24b9";
  const ROOM = "Ra8dbf4673c4c812cd491258042226c99";
  // What LINE answers a push whose `to` is no id (quoted in LINE's SDK issues): no details.
  const invalidTo = {
    message: "The property, 'to', in the request body is invalid (line: -, column: -)",
  };

  async function pushTo(to: unknown, messages: unknown[] = [text("hi")]): Promise<Response> {
    return fetch(`${baseURL}/v2/bot/message/push`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ to, messages }),
    });
  }

  test("a user, group or room id is accepted", async () => {
    for (const to of [USER, GROUP, ROOM]) await client.pushMessage({ to, messages: [text("hi")] });
    expect(standIn.pushes.map((p) => p.to)).toEqual([USER, GROUP, ROOM]);
  });

  test("a push to a message text gets 400 and is not sent", async () => {
    const error = await httpError(
      client.pushMessage({ to: "see you at 5", messages: [text("hi")] }),
    );
    expect(error.status).toBe(400);
    expect(JSON.parse(error.body)).toEqual(invalidTo);
    expect(standIn.pushes).toEqual([]);
    expect(standIn.requests.map((r) => r.status)).toEqual([400]);
  });

  test("ids out of LINE's format get 400: prefix, case, length, display ids", async () => {
    const malformed = [
      `X${USER.slice(1)}`, // no such kind of chat
      USER.toUpperCase(), // LINE's ids are lower-case hex
      `u${USER.slice(1)}`,
      USER.slice(0, -1), // 31 hex digits
      `${USER}0`, // 33
      `U${"g".repeat(32)}`, // not hex
      "@hotline", // a LINE ID, not a user id
      ` ${USER}`,
    ];
    for (const to of malformed) {
      const response = await pushTo(to);
      expect({ to, status: response.status }).toEqual({ to, status: 400 });
      expect(await response.json()).toEqual(invalidTo);
    }
    expect(standIn.pushes).toEqual([]);
  });

  test("a `to` that is not a string gets the same 400", async () => {
    for (const to of [42, [USER], { userId: USER }]) {
      const response = await pushTo(to);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual(invalidTo);
    }
  });

  test("a malformed `to` fails on its own, before the messages are checked", async () => {
    const response = await pushTo("nobody", []);
    expect(await response.json()).toEqual(invalidTo);
  });

  test("a missing or empty `to` is a body error with details, alongside the messages", async () => {
    for (const to of [undefined, ""]) {
      const response = await pushTo(to, []);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        message: "The request body has 2 error(s)",
        details: [
          { message: "May not be empty", property: "to" },
          { message: "Size must be between 1 and 5", property: "messages" },
        ],
      });
    }
  });
});

describe("users and the bot", () => {
  test("profiles: set, generated for unknown users, 404 when configured", async () => {
    standIn.setProfile({ userId: USER, displayName: "Taro", language: "ja" });
    expect(await client.getProfile(USER)).toEqual({
      userId: USER,
      displayName: "Taro",
      language: "ja",
    });
    const generated = await client.getProfile("Uffff0000ffff0000ffff0000ffff1234");
    expect(generated.displayName).toContain("1234");

    standIn = makeStandIn({ unknownUsers: "notFound" });
    const error = await httpError(client.getProfile(USER));
    expect(error.status).toBe(404);
    expect(JSON.parse(error.body)).toEqual({ message: "Not found" });
  });

  test("group and room member profiles carry displayName, userId and pictureUrl", async () => {
    standIn.setProfile({
      userId: USER,
      displayName: "Taro",
      pictureUrl: "https://example.com/taro.png",
      statusMessage: "hi",
    });
    const expected = {
      userId: USER,
      displayName: "Taro",
      pictureUrl: "https://example.com/taro.png",
    };
    const group = `C${"1".repeat(32)}`;
    const room = `R${"2".repeat(32)}`;
    expect(await client.getGroupMemberProfile(group, USER)).toEqual(expected);
    expect(await client.getRoomMemberProfile(room, USER)).toEqual(expected);
    expect(standIn.requests.map((r) => r.path)).toEqual([
      `/v2/bot/group/${group}/member/${USER}`,
      `/v2/bot/room/${room}/member/${USER}`,
    ]);
  });

  test("a link token is issued and recorded with its user", async () => {
    const { linkToken } = await client.issueLinkToken(USER);
    expect(linkToken).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(standIn.linkTokens).toEqual([{ userId: USER, linkToken, at: clock }]);
  });

  test("bot info carries the configured bot user id", async () => {
    expect(await client.getBotInfo()).toMatchObject({
      userId: standIn.botUserId,
      chatMode: "bot",
      markAsReadMode: "auto",
    });
    expect(standIn.botUserId).toMatch(/^U[0-9a-f]{32}$/);
    standIn = makeStandIn({ botUserId: "Ubot", botInfo: { displayName: "Echo" } });
    expect(await client.getBotInfo()).toMatchObject({ userId: "Ubot", displayName: "Echo" });
  });

  test("the loading indicator answers 202 {} for users and 400 for groups", async () => {
    const shown = await client.showLoadingAnimationWithHttpInfo({
      chatId: USER,
      loadingSeconds: 10,
    });
    expect(shown.httpResponse.status).toBe(202);
    expect(shown.body).toEqual({});
    for (const chatId of ["Ca56f94637cc4347f90a25382909b24b9", "Cgroup", "Ualice"]) {
      const error = await httpError(client.showLoadingAnimation({ chatId }));
      expect(error.status).toBe(400);
      expect(JSON.parse(error.body).details[0].property).toBe("chatId");
    }
  });

  test("an unimplemented path gets 404 Not found and is recorded", async () => {
    const error = await httpError(client.getFollowers());
    expect(error.status).toBe(404);
    expect(JSON.parse(error.body)).toEqual({ message: "Not found" });
    expect(standIn.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ["GET", "/v2/bot/followers/ids", 404],
    ]);
  });
});

describe("content", () => {
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

  test("bytes are served with their content type and length", async () => {
    standIn.addContent("100", { bytes: jpeg, contentType: "image/jpeg" });
    const { httpResponse, body } = await blob.getMessageContentWithHttpInfo("100");
    expect(httpResponse.status).toBe(200);
    expect(httpResponse.headers.get("content-type")).toBe("image/jpeg");
    expect(httpResponse.headers.get("content-length")).toBe(String(jpeg.length));
    expect(await bytesOf(body)).toEqual(jpeg);
    expect(await bytesOf(await blob.getMessageContentPreview("100"))).toEqual(jpeg);
  });

  test("large content arrives intact, with Content-Length, or chunked when asked", async () => {
    const large = crypto.getRandomValues(new Uint8Array(300_000));
    standIn.addContent("101", { bytes: large, contentType: "application/pdf" });
    const whole = await blob.getMessageContentWithHttpInfo("101");
    expect(whole.httpResponse.headers.get("content-length")).toBe("300000");
    expect(await bytesOf(whole.body)).toEqual(large);

    standIn.addContent("102", { bytes: large, contentType: "application/pdf", chunked: true });
    const chunked = await blob.getMessageContentWithHttpInfo("102");
    expect(chunked.httpResponse.headers.get("content-length")).toBeNull();
    expect(chunked.httpResponse.headers.get("transfer-encoding")).toBe("chunked");
    expect(await bytesOf(chunked.body)).toEqual(large);
  });

  test("a video in processing gets 202 with an empty body, then 200 once transcoded", async () => {
    const video = new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]);
    standIn.addContent("200", {
      bytes: video,
      contentType: "video/mp4",
      transcoding: "processing",
    });

    expect(await blob.getMessageContentTranscodingByMessageId("200")).toEqual({
      status: "processing",
    });
    // The SDK resolves a 202 as a success with an empty stream: only the status tells them apart.
    const pending = await blob.getMessageContentWithHttpInfo("200");
    expect(pending.httpResponse.status).toBe(202);
    expect(await bytesOf(pending.body)).toHaveLength(0);

    standIn.setTranscoding("200", "succeeded");
    expect(await blob.getMessageContentTranscodingByMessageId("200")).toEqual({
      status: "succeeded",
    });
    const ready = await blob.getMessageContentWithHttpInfo("200");
    expect(ready.httpResponse.status).toBe(200);
    expect(await bytesOf(ready.body)).toEqual(video);
  });

  test("transcoding status: succeeded for audio by default, 400 for an image, like LINE", async () => {
    standIn.addContent("300", { bytes: jpeg, contentType: "audio/m4a" });
    expect(await blob.getMessageContentTranscodingByMessageId("300")).toEqual({
      status: "succeeded",
    });
    standIn.addContent("301", { bytes: jpeg, contentType: "image/jpeg" });
    const error = await httpError(blob.getMessageContentTranscodingByMessageId("301"));
    expect(error.status).toBe(400);
    expect(JSON.parse(error.body).message).toContain("Transcoding status");
  });

  test("gone content gets 404 or 410 as registered; an unknown id gets 404", async () => {
    standIn.addContent("400", { bytes: jpeg, contentType: "image/jpeg" });
    standIn.setContentGone("400", 410);
    const gone = await httpError(blob.getMessageContent("400"));
    expect(gone.status).toBe(410);
    expect(JSON.parse(gone.body)).toEqual({ message: "The content is gone" });

    standIn.setContentGone("401", 404);
    expect((await httpError(blob.getMessageContent("401"))).status).toBe(404);
    const unknown = await httpError(blob.getMessageContent("999"));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ message: "not found" });
  });
});

describe("fault injection", () => {
  test("a 500 once, then success: the faulted push had no effect", async () => {
    standIn.fault({ method: "POST", path: "/v2/bot/message/push", status: 500 });
    const error = await httpError(
      client.pushMessage({ to: USER, messages: [text("x")] }, RETRY_KEY),
    );
    expect(error.status).toBe(500);
    expect(JSON.parse(error.body)).toEqual({ message: "Internal server error" });
    await client.pushMessage({ to: USER, messages: [text("x")] }, RETRY_KEY);
    expect(standIn.pushes).toHaveLength(1);
    expect(standIn.requests.map((r) => [r.status, r.faulted])).toEqual([
      [500, true],
      [200, false],
    ]);
  });

  test("a faulted reply does not use up the token", async () => {
    const replyToken = standIn.issueReplyToken();
    standIn.fault({ path: /\/reply$/, status: 502, body: "<html>Bad Gateway</html>" });
    const error = await httpError(client.replyMessage({ replyToken, messages: [text("x")] }));
    expect(error.status).toBe(502);
    expect(error.body).toBe("<html>Bad Gateway</html>");
    await client.replyMessage({ replyToken, messages: [text("x")] });
    expect(standIn.replies).toHaveLength(1);
  });

  test("429 carries Retry-After and applies `times` times", async () => {
    standIn.fault({ path: "/v2/bot/info", status: 429, retryAfterSeconds: 7, times: 2 });
    for (let i = 0; i < 2; i++) {
      const error = await httpError(client.getBotInfo());
      expect(error.status).toBe(429);
      expect(error.headers.get("retry-after")).toBe("7");
      expect(JSON.parse(error.body).message).toContain("rate limit");
    }
    await client.getBotInfo();
    expect(standIn.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  test("a method filter leaves other methods alone", async () => {
    standIn.fault({ method: "POST", path: "/v2/bot/info", status: 500 });
    await client.getBotInfo();
    expect(standIn.requests.map((r) => r.status)).toEqual([200]);
  });

  test("a delay-only fault answers normally, after later requests", async () => {
    standIn.fault({ path: "/v2/bot/message/push", delayMs: 500 });
    const started = performance.now();
    const slow = client.pushMessage({ to: USER, messages: [text("slow")] });
    await client.getBotInfo();
    // The quick request overtook the slow one: nothing about the push is recorded yet.
    expect(standIn.requests.map((r) => r.path)).toEqual(["/v2/bot/info"]);
    await slow;
    expect(performance.now() - started).toBeGreaterThanOrEqual(490);
    expect(standIn.requests.map((r) => [r.path, r.status, r.faulted])).toEqual([
      ["/v2/bot/info", 200, false],
      ["/v2/bot/message/push", 200, false],
    ]);
    expect(standIn.pushes).toHaveLength(1);
  });

  test("reset clears records and faults but keeps platform state", async () => {
    const replyToken = standIn.issueReplyToken();
    await client.replyMessage({ replyToken, messages: [text("x")] });
    standIn.fault({ path: "/v2/bot/info", status: 500 });
    standIn.reset();
    expect(standIn.requests).toHaveLength(0);
    expect(standIn.replies).toHaveLength(0);
    await client.getBotInfo();
    const error = await httpError(client.replyMessage({ replyToken, messages: [text("x")] }));
    expect(error.status).toBe(400);
  });
});

describe("waiting", () => {
  test("waitFor resolves on a later request", async () => {
    const waiting = standIn.waitFor((s) => s.pushes[0]);
    let settled = false;
    void waiting.then(() => {
      settled = true;
    });
    await client.getBotInfo();
    expect(settled).toBe(false);
    await client.pushMessage({ to: USER, messages: [text("later")] });
    const push = await waiting;
    expect(push.messages).toEqual([text("later")]);
  });

  test("waitFor resolves at once when the value is already there", async () => {
    await client.getBotInfo();
    expect(await standIn.waitFor((s) => s.requests.length)).toBe(1);
  });

  test("waitFor rejects on timeout, listing the recent requests", async () => {
    await client.getProfile(USER);
    const error = await standIn
      .waitFor((s) => s.pushes[0], { timeoutMs: 20 })
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toContain("timed out after 20 ms");
    expect(String(error)).toContain(`GET /v2/bot/profile/${USER} -> 200`);
  });

  test("waitForRequests waits for n matching requests", async () => {
    const twoPushes = standIn.waitForRequests(2, (r) => r.path === "/v2/bot/message/push");
    await client.pushMessage({ to: USER, messages: [text("1")] });
    await client.getBotInfo();
    await client.pushMessage({ to: USER, messages: [text("2")] });
    const pushes = await twoPushes;
    expect(pushes.map((r) => (r.body as { messages: unknown[] }).messages)).toEqual([
      [text("1")],
      [text("2")],
    ]);
  });
});
