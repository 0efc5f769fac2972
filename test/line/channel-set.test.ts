/** The channels one runtime serves, changed as a whole: kept, remade, added and removed. */
import { expect, test } from "bun:test";
import type { ChannelSpec } from "../../src/config/channels.ts";
import { accessTokenOf } from "../../src/line/access-token.ts";
import { type ChannelChange, ChannelSet, type ServedChannel } from "../../src/line/channel-set.ts";
import { LineClient } from "../../src/line/client.ts";
import { silentLogger } from "../../src/logging/logger.ts";

const spec = (name: string, token = `${name}-token`, plugins?: string[]): ChannelSpec => ({
  name,
  channelSecret: `${name}-secret`,
  token: { kind: "long-lived", token },
  plugins,
});

function channelSet(specs: ChannelSpec[]) {
  const made: string[] = [];
  const set = new ChannelSet((s): ServedChannel => {
    made.push(s.name);
    const client = new LineClient({
      channelAccessToken: "unused",
      apiBaseUrl: "http://127.0.0.1:9",
      log: silentLogger,
      retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const token = accessTokenOf(s.token, "http://127.0.0.1:9", { now: () => 0 });
    return { ...s, tokenKind: s.token.kind, token, client };
  }, specs);
  return { set, made };
}

test("an unchanged channel keeps its client; a changed one gets a new one", () => {
  const { set, made } = channelSet([spec("default"), spec("shop")]);
  const shop = set.client("shop");
  const changes: ChannelChange[] = [];
  set.onChange((change) => changes.push(change));
  set.apply([spec("default"), spec("shop")]);
  expect(set.client("shop")).toBe(shop);
  expect(changes).toEqual([]);
  set.apply([spec("default"), spec("shop", "another-token")]);
  expect(set.client("shop")).not.toBe(shop);
  expect(changes).toEqual([{ added: [], removed: [], changed: ["shop"] }]);
  expect(made).toEqual(["default", "shop", "shop"]);
});

test("channels come and go; the default one stays whatever the file says", () => {
  const { set } = channelSet([spec("default"), spec("shop")]);
  const change = set.apply([spec("support", undefined, ["echo"])]);
  expect(change).toEqual({ added: ["support"], removed: ["shop"], changed: [] });
  expect(set.names().sort()).toEqual(["default", "support"]);
  expect(() => set.client("shop")).toThrow('no LINE channel "shop" is configured');
  expect(set.runs("support", "echo")).toBe(true);
  expect(set.runs("support", "bystander")).toBe(false);
  expect(set.runs("default", "bystander")).toBe(true);
});
