/**
 * Channel access tokens hotline issues itself, at the LINE stand-in's token endpoints over HTTP:
 * each kind LINE documents, one issue shared by concurrent callers, renewal before expiry and
 * after a refusal, and errors that never carry a secret.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TokenSpec } from "../../src/config/channels.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { LineStandIn } from "../../src/dev/line-stand-in/mod.ts";
import { accessTokenOf, TokenIssueError } from "../../src/line/access-token.ts";
import { platform, type RunningServer } from "../../src/platform/mod.ts";

const clock = new ManualClock(Date.UTC(2026, 5, 1));
const line = new LineStandIn({ channelAccessToken: "long-lived-default", now: () => clock.now() });
const CHANNEL_ID = "1234567890";
const SECRET = "0123456789abcdef0123456789abcdef";
let server: RunningServer;
let keys: { kid: string; privateKey: JsonWebKey; publicKey: JsonWebKey };

beforeAll(async () => {
  server = platform.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: 1 << 20,
    fetch: line.fetch,
  });
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  keys = {
    kid: "key-1",
    privateKey: await crypto.subtle.exportKey("jwk", pair.privateKey),
    publicKey: await crypto.subtle.exportKey("jwk", pair.publicKey),
  };
  line.tokens.add({
    name: "shop",
    channelId: CHANNEL_ID,
    channelSecret: SECRET,
    assertionKey: { kid: keys.kid, publicKey: keys.publicKey },
  });
});

afterAll(() => server.stop());

const issuedAt = (path: string) => line.requests.filter((request) => request.path === path).length;

describe.each([
  ["stateless", "/oauth2/v3/token"],
  ["short-lived", "/v2/oauth/accessToken"],
  ["v2.1", "/oauth2/v2.1/token"],
] as const)("a %s token", (kind, path) => {
  const spec = (): TokenSpec =>
    kind === "v2.1"
      ? { kind, channelId: CHANNEL_ID, privateKey: keys.privateKey, keyId: keys.kid }
      : { kind, channelId: CHANNEL_ID, channelSecret: SECRET };

  test("is issued once for calls that ask together, and good for its channel", async () => {
    const token = accessTokenOf(spec(), server.url, clock);
    const before = issuedAt(path);
    const values = await Promise.all([token.current(), token.current(), token.current()]);
    expect(new Set(values).size).toBe(1);
    expect(issuedAt(path) - before).toBe(1);
    expect(line.tokens.channelOf(values[0] as string)).toBe("shop");
    // Asked again while good: the same, with no call to LINE.
    expect(await token.current()).toBe(values[0] as string);
    expect(issuedAt(path) - before).toBe(1);
  });

  test("is renewed before it expires", async () => {
    line.tokens.lifetimes[kind] = 600;
    try {
      const token = accessTokenOf(spec(), server.url, clock);
      const first = await token.current();
      clock.advance(500_000);
      expect(await token.current()).toBe(first);
      // Within the last tenth of its life: a new one, while the old one would still work.
      clock.advance(50_000);
      const second = await token.current();
      expect(second).not.toBe(first);
      expect(line.tokens.channelOf(first)).toBe("shop");
      expect(line.tokens.channelOf(second)).toBe("shop");
    } finally {
      delete line.tokens.lifetimes[kind];
    }
  });

  test("a refused token is renewed once, however many calls saw it refused", async () => {
    const token = accessTokenOf(spec(), server.url, clock);
    const first = await token.current();
    line.tokens.revoke(first);
    const before = issuedAt(path);
    const renewed = await Promise.all([token.renew(first), token.renew(first)]);
    expect(renewed[0]).toBe(renewed[1] as string);
    expect(renewed[0]).not.toBe(first);
    expect(issuedAt(path) - before).toBe(1);
    // A caller late with the old token gets the new one without another issue.
    expect(await token.renew(first)).toBe(renewed[0] as string);
    expect(issuedAt(path) - before).toBe(1);
  });
});

describe("refusals", () => {
  test("a wrong secret is an error naming the problem, not the secret", async () => {
    const wrong = "ffffffffffffffffffffffffffffffff";
    const token = accessTokenOf(
      { kind: "stateless", channelId: CHANNEL_ID, channelSecret: wrong },
      server.url,
      clock,
    );
    const error = await token.current().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenIssueError);
    expect((error as Error).message).toContain("HTTP 400");
    expect((error as Error).message).not.toContain(wrong);
  });

  test("an assertion signed with another key is refused", async () => {
    const other = await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    );
    const privateKey = await crypto.subtle.exportKey("jwk", other.privateKey);
    const token = accessTokenOf(
      { kind: "v2.1", channelId: CHANNEL_ID, privateKey, keyId: keys.kid },
      server.url,
      clock,
    );
    await expect(token.current()).rejects.toBeInstanceOf(TokenIssueError);
  });

  test("a long-lived token is the one given, and stays it", async () => {
    const token = accessTokenOf({ kind: "long-lived", token: "given" }, server.url, clock);
    expect(await token.current()).toBe("given");
    expect(await token.renew("given")).toBe("given");
  });
});
