import { insight, liff, manageAudience, messagingApi, moduleOperation, shop } from "@line/bot-sdk";

/**
 * The official SDK's clients a plugin reaches besides the Messaging API's own methods, each by the
 * name `ctx.api` gives it. Left out: channel access tokens (the host's business, and a plugin never
 * holds one) and module attach (manager.line.biz, authenticated by a module channel's secret).
 */
export interface LineSubClients {
  /** api-data.line.me: message content, rich menu images (`setRichMenuImage`). */
  readonly blob: messagingApi.MessagingApiBlobClient;
  /** LIFF apps: add, list, update, delete. */
  readonly liff: liff.LiffClient;
  /** Statistics: followers, demographics, message and rich menu interactions. */
  readonly insight: insight.InsightClient;
  /** Audiences for narrowcast, made by JSON or from click and impression data. */
  readonly audience: manageAudience.ManageAudienceClient;
  /** api-data.line.me: audiences made from a file of user ids. */
  readonly audienceBlob: manageAudience.ManageAudienceBlobClient;
  /** Module channels only: chat control (acquire, release) and detaching. */
  readonly module: moduleOperation.LineModuleClient;
  /** Mission stickers, for channels LINE approved for them. */
  readonly shop: shop.ShopClient;
}

/**
 * `ctx.api`: the Messaging API client, with the other clients as its members (`ctx.api.blob`…).
 * Every call is retried on 429 and 5xx; see `KEYED_METHODS` for the sending calls.
 */
export type LineApi = messagingApi.MessagingApiClient & LineSubClients;

/** Which of LINE's hosts a client calls: api.line.me, or api-data.line.me for content. */
export type LineHost = "api" | "data";

interface SubClient<T> {
  host: LineHost;
  Client: new (config: { channelAccessToken: string; baseURL: string }) => T;
}

/** Each client's class and host; the type keeps it in step with `LineSubClients`. */
export const SUB_CLIENTS: { readonly [K in keyof LineSubClients]: SubClient<LineSubClients[K]> } = {
  blob: { host: "data", Client: messagingApi.MessagingApiBlobClient },
  liff: { host: "api", Client: liff.LiffClient },
  insight: { host: "api", Client: insight.InsightClient },
  audience: { host: "api", Client: manageAudience.ManageAudienceClient },
  audienceBlob: { host: "data", Client: manageAudience.ManageAudienceBlobClient },
  module: { host: "api", Client: moduleOperation.LineModuleClient },
  shop: { host: "api", Client: shop.ShopClient },
};

/** The method names of every client `ctx.api` offers: what a plugin's calls are counted under. */
export const PLUGIN_API_METHODS: readonly string[] = [
  messagingApi.MessagingApiClient,
  ...Object.values(SUB_CLIENTS).map((sub) => sub.Client),
].flatMap((Client) => Object.getOwnPropertyNames(Client.prototype));

/**
 * The calls that take `X-Line-Retry-Key` (LINE accepts it on these four endpoints only), by the
 * endpoint they send to: the key's index counts per endpoint.
 */
export const KEYED_METHODS: ReadonlyMap<string, string> = new Map([
  ["pushMessage", "push"],
  ["pushMessageWithHttpInfo", "push"],
  ["multicast", "multicast"],
  ["multicastWithHttpInfo", "multicast"],
  ["narrowcast", "narrowcast"],
  ["narrowcastWithHttpInfo", "narrowcast"],
  ["broadcast", "broadcast"],
  ["broadcastWithHttpInfo", "broadcast"],
]);
