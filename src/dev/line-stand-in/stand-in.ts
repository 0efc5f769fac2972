/** The stand-in itself: a web-standard fetch handler plus the controls tests and local mode use. */

import { ChannelTokens } from "./channel-tokens.ts";
import type { ChatSpec } from "./chat-state.ts";
import { Faults } from "./faults.ts";
import type { RouteRequest } from "./handler.ts";
import { loadRichMenus, saveRichMenus } from "./rich-menu-file.ts";
import type { StoredRichMenu } from "./rich-menu-state.ts";
import { route } from "./routes.ts";
import { PlatformState } from "./state.ts";
import type {
  ContentSpec,
  FaultSpec,
  LineStandInOptions,
  Profile,
  RecordedCast,
  RecordedLinkToken,
  RecordedPush,
  RecordedReply,
  RecordedRequest,
  TranscodingStatus,
} from "./types.ts";
import {
  lineError,
  MESSAGES,
  type Outcome,
  randomRequestId,
  randomToken,
  toResponse,
} from "./wire.ts";

export interface WaitOptions {
  timeoutMs?: number;
}

/** How many requests a waitFor timeout message shows. */
const RECENT_SHOWN = 10;

export class LineStandIn {
  private readonly state: PlatformState;
  private readonly faults = new Faults();
  /** The bearer it takes: a bot restarted on the same stand-in needs it (the test kit's `line`). */
  readonly channelAccessToken: string;
  /**
   * Its channels and their tokens: `default` takes `channelAccessToken`; `tokens.add()` adds
   * others (several channels of one bot), whose tokens are good for them only.
   */
  readonly tokens: ChannelTokens;
  private records: RecordedRequest[] = [];
  private readonly waiters = new Set<() => void>();

  private readonly richMenuFile: string | undefined;

  constructor(options: LineStandInOptions) {
    this.channelAccessToken = options.channelAccessToken;
    this.state = new PlatformState(options);
    this.tokens = new ChannelTokens(() => this.state.now());
    this.tokens.add({ name: "default", accessToken: options.channelAccessToken });
    this.richMenuFile = options.richMenuFile;
    if (this.richMenuFile)
      loadRichMenus((channel) => this.state.richMenusOf(channel), this.richMenuFile);
  }

  /** Bound, so it can be handed over as is: `Bun.serve({ fetch: standIn.fetch })`. */
  readonly fetch = (request: Request): Promise<Response> => this.handle(request);

  get botUserId(): string {
    return this.state.botInfo.userId;
  }
  /** Every request, in the order answered. */
  get requests(): readonly RecordedRequest[] {
    return this.records;
  }
  /** Replies LINE accepted. */
  get replies(): readonly RecordedReply[] {
    return this.state.replies;
  }
  /** Pushes LINE accepted (a 409 for a known retry key is not a second push). */
  get pushes(): readonly RecordedPush[] {
    return this.state.pushes;
  }
  get linkTokens(): readonly RecordedLinkToken[] {
    return this.state.linkTokens;
  }
  /** Multicasts, narrowcasts and broadcasts LINE accepted. */
  get casts(): readonly RecordedCast[] {
    return this.state.casts;
  }
  /** Users whose chats the bot marked as read. */
  get markedAsRead(): readonly string[] {
    return this.state.markedAsRead;
  }

  /**
   * Tells the platform about webhook events it "sent": their reply tokens become valid (as with
   * `issueReplyToken`), follows make followers, and joins, leaves and speakers keep the member
   * lists of groups and rooms current.
   */
  observe(...events: object[]): void {
    for (const event of events) this.state.observe(event);
  }

  /** A group the bot is in, with its name, icon and members. */
  setGroup(groupId: string, spec: ChatSpec = {}): void {
    this.state.chats.set("group", groupId, spec);
  }

  setRoom(roomId: string, spec: Omit<ChatSpec, "name" | "pictureUrl"> = {}): void {
    this.state.chats.set("room", roomId, spec);
  }

  /**
   * The rich menu a user sees (linked to them, else the default), with its image; in the
   * channel named (its tokens made the calls), the `default` one unless said.
   */
  richMenuOf(userId: string, channel?: string): Readonly<StoredRichMenu> | undefined {
    return this.state.richMenusOf(channel).shownTo(userId);
  }

  /** Every rich menu of the `default` channel, in the order created. */
  get richMenus(): ReadonlyArray<Readonly<StoredRichMenu>> {
    return this.richMenusIn("default");
  }

  /** Every rich menu of the channel, in the order created (each channel has its own, as at LINE). */
  richMenusIn(channel: string): ReadonlyArray<Readonly<StoredRichMenu>> {
    return [...this.state.richMenusOf(channel).menus.values()];
  }

  /** The channel's default rich menu's id. */
  defaultRichMenuIdIn(channel: string): string | undefined {
    return this.state.richMenusOf(channel).defaultId;
  }

  /** The `default` channel's default rich menu's id. */
  get defaultRichMenuId(): string | undefined {
    return this.state.richMenus.defaultId;
  }

  /** The rich menu an alias names (a rich menu switch action's target), in the channel. */
  richMenuByAlias(aliasId: string, channel?: string): Readonly<StoredRichMenu> | undefined {
    const menus = this.state.richMenusOf(channel);
    const id = menus.aliases.get(aliasId);
    return id === undefined ? undefined : menus.menus.get(id);
  }

  /** What a rich menu switch action does on the user's phone: shows the alias's menu to them. */
  switchRichMenu(userId: string, aliasId: string, channel?: string): boolean {
    const menu = this.richMenuByAlias(aliasId, channel);
    if (menu === undefined) return false;
    this.state.richMenusOf(channel).links.set(userId, menu.richMenuId);
    this.keepRichMenus();
    return true;
  }

  /**
   * Registers a reply token as if a webhook event carrying it was just delivered. Passing a token
   * issued before models a redelivery: another minute, unless used or the event is 20 minutes old.
   */
  issueReplyToken(token: string = randomToken(32)): string {
    this.state.issueReplyToken(token);
    return token;
  }

  setProfile(profile: Profile): void {
    this.state.profiles.set(profile.userId, { ...profile });
  }

  addContent(messageId: string, content: ContentSpec): void {
    this.state.contents.set(messageId, { ...content });
  }

  setTranscoding(messageId: string, status: TranscodingStatus): void {
    if (!this.state.contents.has(messageId))
      throw new Error(`no content registered as ${messageId}`);
    this.state.setContent(messageId, { transcoding: status });
  }

  /** 404: expired or never existed; 410: the user unsent the message. */
  setContentGone(messageId: string, status: 404 | 410 = 410): void {
    this.state.setContent(messageId, { gone: status });
  }

  fault(spec: FaultSpec): void {
    this.faults.add(spec);
  }

  /**
   * Clears what was recorded (requests, replies, pushes, casts, link tokens, reads) and faults;
   * the platform's state (tokens, profiles, chats, rich menus, content) stays.
   */
  reset(): void {
    this.records = [];
    this.state.clearRecords();
    this.faults.clear();
  }

  /** Resolves with the first truthy value of `select`, checked now and after each recorded request. */
  waitFor<T>(
    select: (standIn: LineStandIn) => T | undefined | null | false,
    { timeoutMs = 5000 }: WaitOptions = {},
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        this.waiters.delete(check);
        clearTimeout(timer);
      };
      const check = (): void => {
        try {
          const value = select(this);
          if (!value) return;
          finish();
          resolve(value);
        } catch (error) {
          finish();
          reject(error);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`waitFor timed out after ${timeoutMs} ms; ${this.describeRecent()}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The first `count` recorded requests that pass `filter`, once there are that many. */
  waitForRequests(
    count: number,
    filter: (request: RecordedRequest) => boolean = () => true,
    options?: WaitOptions,
  ): Promise<RecordedRequest[]> {
    return this.waitFor((standIn) => {
      const matching = standIn.requests.filter(filter);
      return matching.length >= count && matching.slice(0, count);
    }, options);
  }

  private async handle(request: Request): Promise<Response> {
    const at = this.state.now();
    const requestId = randomRequestId();
    const method = request.method.toUpperCase();
    const url = new URL(request.url);
    const path = url.pathname;
    const bytes = new Uint8Array(await request.arrayBuffer());
    const contentType = request.headers.get("content-type");
    const { body, malformedJson } = parseBody(bytes, contentType);
    const retryKey = request.headers.get("x-line-retry-key");
    const plan = this.faults.take(method, path);
    if (plan !== undefined && plan.delayMs > 0) await sleep(plan.delayMs);
    const authorization = request.headers.get("authorization");
    const bearer = authorization?.startsWith("Bearer ") ? authorization.slice(7) : undefined;
    const channel = bearer === undefined ? undefined : this.tokens.channelOf(bearer);
    const issuing = plan === undefined && this.tokens.isTokenEndpoint(method, path);
    const outcome = issuing
      ? await this.tokens.issue(path, new URLSearchParams(decoder.decode(bytes)))
      : (plan?.outcome ??
        this.answer(authorization, channel, method, path, {
          requestId,
          params: {},
          query: url.searchParams,
          body,
          malformedJson,
          bytes,
          contentType,
          retryKey,
        }));
    if (method !== "GET" && path.includes("richmenu") && outcome.status < 300) this.keepRichMenus();
    this.record({
      requestId,
      method,
      path,
      body,
      headers: headersOf(request.headers),
      retryKey,
      status: outcome.status,
      faulted: plan?.outcome !== undefined,
      at,
      ...(channel === undefined ? {} : { channel }),
    });
    return toResponse(outcome, requestId);
  }

  private answer(
    authorization: string | null,
    channel: string | undefined,
    method: string,
    path: string,
    req: RouteRequest,
  ): Outcome {
    if (authorization === null || !authorization.startsWith("Bearer ")) {
      return lineError(401, MESSAGES.authMissing);
    }
    // A token of some channel, current: unknown, expired and revoked ones alike get 401.
    if (channel === undefined) return lineError(401, MESSAGES.authFailed);
    const match = route(method, path);
    if (match === undefined) return lineError(404, MESSAGES.notFound);
    try {
      return match.handler(this.state, { ...req, params: match.params, channel });
    } catch (error) {
      // A bug here should reach the test as a recorded 500, not as a dropped connection.
      return lineError(500, `${MESSAGES.internal} (stand-in: ${String(error)})`);
    }
  }

  /** A change to the rich menus, saved when they are kept in a file. */
  private keepRichMenus(): void {
    if (this.richMenuFile) saveRichMenus(this.state.richMenuChannels(), this.richMenuFile);
  }

  private record(entry: RecordedRequest): void {
    this.records.push(entry);
    for (const check of [...this.waiters]) check();
  }

  private describeRecent(): string {
    if (this.records.length === 0) return "no requests were made";
    const recent = this.records.slice(-RECENT_SHOWN).map((entry) => {
      const body = entry.body === null ? "" : ` ${JSON.stringify(entry.body).slice(0, 200)}`;
      const faulted = entry.faulted ? " (fault)" : "";
      return `  ${entry.method} ${entry.path} -> ${entry.status}${faulted}${body}`;
    });
    return `last ${recent.length} of ${this.records.length} requests:\n${recent.join("\n")}`;
  }
}

const decoder = new TextDecoder();

/** JSON bodies parsed; others (a rich menu's image) are left to their handler as bytes. */
function parseBody(
  bytes: Uint8Array,
  contentType: string | null,
): { body: unknown; malformedJson: boolean } {
  const binary = contentType !== null && !/json|text/i.test(contentType);
  if (bytes.byteLength === 0 || binary) return { body: null, malformedJson: false };
  try {
    return { body: JSON.parse(decoder.decode(bytes)), malformedJson: false };
  } catch {
    return { body: null, malformedJson: true };
  }
}

/** Request headers worth asserting on; the bearer token is left out so records can be logged. */
function headersOf(headers: Headers): Record<string, string> {
  const recorded: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name !== "authorization") recorded[name] = value;
  });
  return recorded;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
