import { HTTPFetchError } from "@line/bot-sdk";
import { DEFAULT_CHANNEL } from "../../core/channel.ts";
import type { CallOptions, LineClient } from "../../line/client.ts";
import type { ScheduleRequest } from "../../schedules/requests.ts";
import type {
  ChatRef,
  ContentResult,
  EventContext,
  FileStore,
  HttpMethod,
  JobContext,
  Logger,
  MessageInput,
  PluginContext,
  Recipient,
  RouteHandler,
  SharedUser,
  TranscodingStatus,
} from "../../sdk/context.ts";
import { toMessages } from "../../sdk/messages.ts";
import type { SessionSchemas } from "../../sdk/session.ts";
import type { HostToWorker } from "../protocol.ts";
import { addCommand, type PluginCommand, pluginCommand } from "./commands.ts";
import { type DialogRun, openDialog, type PluginDialog } from "./dialogs.ts";
import {
  type ApiScope,
  eventRetryKeys,
  freshRetryKeys,
  type PluginClients,
  pluginApi,
} from "./line-api.ts";
import { datetimePickerAction, type PluginPostbacks, postbackAction } from "./postbacks.ts";
import { richMenuControl } from "./rich-menus.ts";
import type { HostRpc } from "./rpc.ts";
import { schedulingFor } from "./schedules.ts";
import { RunSessions } from "./sessions.ts";
import type { PluginState } from "./state-client.ts";

export interface Route {
  method: HttpMethod;
  path: string;
  handler: RouteHandler;
}

/** Everything the plugin registered through its context; released when this version unloads. */
export interface Registrations {
  routes: Route[];
  /** The plugin's commands: declared ones first, then those `setup` added. */
  commands: PluginCommand[];
  /** Routes and commands may only be registered while `setup` runs. */
  open: boolean;
}

export const PROFILE_TTL_MS = 24 * 3_600_000;

/** LINE as one channel's token reaches it, from the worker (through the host's proxy). */
export interface ChannelLine {
  line: LineClient;
  clients: PluginClients;
  lineCapability: string;
}

export interface WorkerServices {
  name: string;
  settings: unknown;
  log: Logger & { child(fields: Record<string, unknown>): Logger };
  line: LineClient;
  /** The SDK's clients behind `ctx.api`, on the host's proxy. */
  clients: PluginClients;
  /** `ctx.db`, `ctx.kv`, `ctx.transaction` and the shared users table, through the host. */
  state: PluginState;
  files: FileStore;
  rpc: HostRpc;
  lifetime: AbortController;
  now(): number;
  publicUrl: string;
  dataApiBaseUrl: string;
  /** The worker's bearer at the host's LINE proxy. */
  lineCapability: string;
  /** LINE through another channel's token (an event of that channel): `line`, `clients` for it. */
  viaChannel(channel: string): ChannelLine;
  registrations: Registrations;
  postbacks: PluginPostbacks;
  /** Whether the plugin's commands need a mention in groups, unless a command says otherwise. */
  mention: boolean;
  sessions: SessionSchemas;
  dialogs: ReadonlyMap<string, PluginDialog>;
  /** The plugin's jobs' handlers, by job name. */
  jobs: ReadonlyMap<string, JobHandler>;
}

export type JobHandler = (data: unknown, ctx: JobContext<unknown>) => unknown;

/**
 * What a LINE call is made for: its retry warnings go to the event's logger inside a handler, and
 * the handler's signal (aborted at its deadline, or when the version unloads) cancels the request
 * and any retry still waiting; outside an event, the version's lifetime signal does.
 */
type CallScope = Omit<ApiScope, "keys">;

function callOptions(scope: CallScope): CallOptions {
  return { log: scope.log, signal: scope.signal };
}

/**
 * Content straight from the data API with fetch, so the plugin gets the untouched body stream (the
 * SDK's client wraps it in a Node stream) and cancelling it cancels the download.
 */
async function fetchContent(
  services: WorkerServices,
  scope: CallScope,
  messageId: string,
  path = "",
): Promise<Response> {
  const url = `${services.dataApiBaseUrl}/v2/bot/message/${encodeURIComponent(messageId)}/content${path}`;
  return services.line.call(
    "content",
    async () => {
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${services.lineCapability}` },
        signal: scope.signal,
      });
      if (response.status === 429 || response.status >= 500) {
        // Shaped like the SDK's own error so the shared retry policy (and Retry-After) applies.
        throw new HTTPFetchError(`${response.status} - ${response.statusText}`, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
          body: await response.text(),
        });
      }
      return response;
    },
    callOptions(scope),
  );
}

async function content(
  services: WorkerServices,
  scope: CallScope,
  messageId: string,
): Promise<ContentResult> {
  const response = await fetchContent(services, scope, messageId);
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    return { status: "gone", httpStatus: response.status };
  }
  if (response.status === 202) {
    await response.body?.cancel();
    return { status: "processing" };
  }
  if (!response.ok)
    throw new Error(
      `content of message ${messageId}: HTTP ${response.status}: ${await response.text()}`,
    );
  const length = Number(response.headers.get("content-length"));
  return {
    status: "ready",
    body: response.body ?? new ReadableStream({ start: (c) => c.close() }),
    contentType: response.headers.get("content-type") ?? "application/octet-stream",
    ...(Number.isFinite(length) && length > 0 ? { size: length } : {}),
  };
}

async function transcoding(
  services: WorkerServices,
  scope: CallScope,
  messageId: string,
): Promise<TranscodingStatus | "gone"> {
  const response = await fetchContent(services, scope, messageId, "/transcoding");
  if (response.status === 404 || response.status === 410) return "gone";
  if (!response.ok)
    throw new Error(
      `transcoding of message ${messageId}: HTTP ${response.status}: ${await response.text()}`,
    );
  const { status } = (await response.json()) as { status: TranscodingStatus };
  return status;
}

async function fetchProfile(
  services: WorkerServices,
  scope: CallScope,
  userId: string,
  chat: ChatRef | undefined,
  /** The shared users table holds the default channel's users only: others are not cached. */
  shared = true,
): Promise<SharedUser> {
  const { state, line } = services;
  const cached = shared ? await state.readUser(userId) : undefined;
  const now = services.now();
  if (cached?.profileFetchedAt && now - cached.profileFetchedAt < PROFILE_TTL_MS) return cached;
  const profile = await line.call(
    "profile",
    () =>
      chat?.type === "group"
        ? line.api.getGroupMemberProfile(chat.id, userId)
        : chat?.type === "room"
          ? line.api.getRoomMemberProfile(chat.id, userId)
          : line.api.getProfile(userId),
    callOptions(scope),
  );
  const fetched = {
    displayName: profile.displayName,
    pictureUrl: profile.pictureUrl ?? null,
    statusMessage: (profile as { statusMessage?: string }).statusMessage ?? null,
    language: (profile as { language?: string }).language ?? null,
  };
  if (!shared) {
    const unknown = { following: null, followedAt: null, unfollowedAt: null };
    return { userId, ...fetched, ...unknown, profileFetchedAt: now };
  }
  await state.saveProfile(userId, fetched);
  return (await state.readUser(userId)) as SharedUser;
}

/** A recipient as the Messaging API names it. */
function channelOf(options: { channel?: string }): { channel?: string } {
  return options.channel === undefined ? {} : { channel: options.channel };
}

function recipientId(to: Recipient): string {
  return typeof to === "string" ? to : to.id;
}

export function createPluginContext(services: WorkerServices): PluginContext<unknown> {
  const { name, settings, log, line, state, files, rpc, lifetime, registrations } = services;
  const scope: CallScope = { log, signal: lifetime.signal };
  const api = pluginApi(line, services.clients, { ...scope, keys: freshRetryKeys });
  const whileSetup = (what: string) => {
    if (!registrations.open) throw new Error(`${name}: ${what} can only be registered in setup()`);
  };
  return {
    name,
    settings,
    log,
    api,
    kv: state.kv,
    db: state.db,
    transaction: state.transaction,
    files,
    signal: lifetime.signal,
    now: services.now,
    async push(
      messages: MessageInput | MessageInput[],
      options: { to: Recipient; channel?: string },
    ) {
      await rpc.call({
        deliveryId: undefined,
        method: "push",
        messages: toMessages(messages),
        to: recipientId(options.to),
        ...channelOf(options),
      });
    },
    content: (messageId: string) => content(services, scope, messageId),
    transcoding: (messageId: string) => transcoding(services, scope, messageId),
    user: (userId: string) => state.readUser(userId),
    profile: (userId: string, chat?: ChatRef) => fetchProfile(services, scope, userId, chat),
    publicUrl: services.publicUrl,
    richMenu: richMenuControl(rpc),
    route(method, path, handler) {
      whileSetup("routes");
      if (!path.startsWith("/"))
        throw new Error(`${name}: route path must start with "/" (got "${path}")`);
      registrations.routes.push({ method, path, handler });
    },
    command(word, spec) {
      whileSetup("commands");
      addCommand(registrations.commands, pluginCommand(word, spec, services.mention));
    },
    postback: (route, data, options) => postbackAction(services.postbacks, route, data, options),
    datetimePicker: (route, data, options) =>
      datetimePickerAction(services.postbacks, route, data, options),
    ...schedulingFor(services),
  };
}

type Delivery = Extract<HostToWorker, { type: "deliver" }>;

/**
 * The event's context, and the sessions its run reads and changes; what it schedules goes into
 * `schedules`, sent with the run's end.
 */
export function createEventContext(
  base: PluginContext<unknown>,
  services: WorkerServices,
  delivery: Delivery,
  signal: AbortSignal,
  schedules: ScheduleRequest[],
): { ctx: EventContext<unknown>; sessions: RunSessions } {
  const log = services.log.child({ webhookEventId: delivery.eventId });
  const sessions = new RunSessions(services.sessions, delivery.sessions, log);
  const ctx: EventContext<unknown> = {
    ...eventContext(base, services, delivery, { log, signal }),
    ...schedulingFor(services, schedules),
    session: sessions.view(),
    dialog: (name, answers) => openDialog(dialogRun, name, answers),
  };
  const dialogRun: DialogRun = {
    dialogs: services.dialogs,
    sessions,
    event: delivery.event,
    ctx,
    now: services.now,
  };
  return { ctx, sessions };
}

function eventContext(
  base: PluginContext<unknown>,
  services: WorkerServices,
  delivery: Delivery,
  scope: CallScope & { log: Logger },
): Omit<EventContext<unknown>, "session" | "dialog"> {
  const { log, signal } = scope;
  const standby = (delivery.event as { mode?: unknown }).mode === "standby";
  // Every LINE call made for the event goes with its channel's token.
  const own: WorkerServices = { ...services, ...services.viaChannel(delivery.channel) };
  const cached = delivery.channel === DEFAULT_CHANNEL;
  return {
    ...base,
    log,
    // The LINE calls again, so that their retry warnings name the event, the handler's deadline
    // cancels them, and the delivery's retries repeat its sends under the same retry keys.
    api: pluginApi(own.line, own.clients, {
      ...scope,
      keys: eventRetryKeys(delivery.eventId, services.name),
    }),
    content: (messageId: string) => content(own, scope, messageId),
    transcoding: (messageId: string) => transcoding(own, scope, messageId),
    profile: (userId: string, chat?: ChatRef) => fetchProfile(own, scope, userId, chat, cached),
    signal,
    kv: cached ? base.kv : services.state.kvOf(delivery.channel),
    richMenu: cached ? base.richMenu : richMenuControl(services.rpc, delivery.channel),
    eventId: delivery.eventId,
    channel: Object.freeze({ name: delivery.channel, botUserId: delivery.destination }),
    destination: delivery.destination,
    chat: delivery.chat,
    attempt: delivery.attempt,
    async reply(...messages: MessageInput[]) {
      if (messages.length === 0) return;
      if (standby) {
        log.warn("reply ignored: standby events must not be answered");
        return;
      }
      await services.rpc.call({
        deliveryId: delivery.id,
        method: "reply",
        messages: toMessages(messages),
      });
    },
    async push(
      messages: MessageInput | MessageInput[],
      options: { to?: Recipient; channel?: string } = {},
    ) {
      const to = options.to === undefined ? undefined : recipientId(options.to);
      const other = options.channel !== undefined && options.channel !== delivery.channel;
      // The event's chat is a chat of its channel: another channel's push names its recipient.
      if (other && to === undefined)
        throw new TypeError(
          `${services.name}: a push to channel "${options.channel}" needs { to }`,
        );
      await services.rpc.call({
        deliveryId: delivery.id,
        method: "push",
        messages: toMessages(messages),
        ...(to ? { to } : {}),
        ...channelOf(options),
      });
    },
  };
}

type JobRun = Extract<HostToWorker, { type: "run-job" }>;

/** A job run's context: its LINE calls and logs are the run's, its schedule writes kept with it. */
export function createJobContext(
  base: PluginContext<unknown>,
  services: WorkerServices,
  run: JobRun,
  signal: AbortSignal,
  schedules: ScheduleRequest[],
): JobContext<unknown> {
  const log = services.log.child({ job: run.job, schedule: run.scheduleId });
  const scope: CallScope = { log, signal };
  return {
    ...base,
    log,
    // Keyed by the run, as a delivery's sends are by its event: a rerun repeats its keys.
    api: pluginApi(services.line, services.clients, {
      ...scope,
      keys: eventRetryKeys(run.run, services.name),
    }),
    content: (messageId: string) => content(services, scope, messageId),
    transcoding: (messageId: string) => transcoding(services, scope, messageId),
    profile: (userId: string, chat?: ChatRef) => fetchProfile(services, scope, userId, chat),
    signal,
    ...schedulingFor(services, schedules),
    job: run.job,
    scheduleId: run.scheduleId,
    scheduledAt: run.scheduledAt,
    attempt: run.attempt,
    async push(
      messages: MessageInput | MessageInput[],
      options: { to: Recipient; channel?: string },
    ) {
      // A job has no chat of its own to push to.
      if (!options?.to) throw new TypeError(`${services.name}: a job's push needs { to }`);
      await services.rpc.call({
        deliveryId: run.id,
        method: "push",
        messages: toMessages(messages),
        to: recipientId(options.to),
        ...channelOf(options),
      });
    },
  };
}
