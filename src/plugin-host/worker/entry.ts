/**
 * The inside of a plugin worker: one worker serves one version of one plugin, so terminating it
 * releases the whole module graph, its timers and its memory.
 */
import { DEFAULT_CHANNEL } from "../../core/channel.ts";
import { splitSettings } from "../../core/push-policy.ts";
import { LineClient } from "../../line/client.ts";
import type { ScheduleRequest } from "../../schedules/requests.ts";
import type { PluginContext } from "../../sdk/context.ts";
import { setDialect } from "../../sdk/dialect.ts";
import { isFallback } from "../../sdk/fallback.ts";
import { type CompiledSubscription, compileSubscription } from "../../sdk/filter.ts";
import {
  describeIssues,
  type PluginManifest,
  pluginDefinitionSchema,
  type ValidDefinition,
} from "../manifest.ts";
import type {
  HostToWorker,
  SerializedRequest,
  SerializedResponse,
  WorkerToHost,
} from "../protocol.ts";
import { addCommand, type PluginCommand, pluginCommand, routedCommand } from "./commands.ts";
import {
  type ChannelLine,
  createEventContext,
  createJobContext,
  createPluginContext,
  type JobHandler,
  type Registrations,
  type WorkerServices,
} from "./context.ts";
import type { PluginDialog } from "./dialogs.ts";
import { createFileStore } from "./file-store.ts";
import { pluginClients } from "./line-api.ts";
import { createWorkerLogger } from "./logger.ts";
import type { PluginPostbacks, PostbackHandle } from "./postbacks.ts";
import { createRemoteFileStore } from "./remote-file-store.ts";
import { declaredRichMenus } from "./rich-menus.ts";
import { HostRpc } from "./rpc.ts";
import { runRole } from "./run-role.ts";
import { createPluginState } from "./state-client.ts";
import { pluginSchema } from "./state-schema.ts";
import { wrapTimers } from "./timers.ts";

interface WorkerScope {
  postMessage(message: WorkerToHost): void;
  addEventListener(type: "message", listener: (event: MessageEvent<HostToWorker>) => void): void;
  addEventListener(type: "error" | "unhandledrejection", listener: (event: Event) => void): void;
}
const scope = globalThis as unknown as WorkerScope;
const post = (message: WorkerToHost) => scope.postMessage(message);

const log = createWorkerLogger(post);
const rpc = new HostRpc(post);

const strayError = (error: unknown) =>
  log.error({ error: describe(error) }, "uncaught error in plugin");

const pendingTimers = wrapTimers(strayError);
const inFlight = new Map<number, AbortController>();
let loaded:
  | {
      definition: ValidDefinition;
      services: WorkerServices;
      context: PluginContext<unknown>;
      subscription: CompiledSubscription;
    }
  | undefined;

// The host's clock, as of the last message, plus the real time since; exactly the host's reading
// when the host's clock is frozen (tests), so plugins see the same time as the test.
let hostNow = Date.now();
let hostNowAt = performance.now();
let clockFrozen = false;
const syncClock = (now: number) => {
  hostNow = now;
  hostNowAt = performance.now();
};
const now = () => (clockFrozen ? hostNow : hostNow + Math.round(performance.now() - hostNowAt));

function describe(error: unknown): string {
  // Bun reports a module that does not parse as "N errors building <file>"; the parse errors
  // inside it (what is wrong, and where) are what the plugin author needs to see.
  if (error instanceof AggregateError && error.errors.length > 0)
    return error.errors.map(describeBuildError).join("; ");
  if (error instanceof Error)
    return `${error.name === "Error" ? "" : `${error.name}: `}${error.message}`;
  return String(error);
}

function describeBuildError(error: unknown): string {
  const position = (error as { position?: { file?: string; line?: number; column?: number } })
    .position;
  const message = error instanceof Error ? error.message : String(error);
  return position?.file
    ? `${message} (${position.file}:${position.line}:${position.column})`
    : message;
}

async function load(message: Extract<HostToWorker, { type: "load" }>): Promise<WorkerToHost> {
  clockFrozen = message.clockFrozen;
  syncClock(message.now);
  // Before the plugin's module runs: its tables are built for the store's dialect.
  setDialect(message.state.dialect);
  let module: { default?: unknown };
  try {
    module = await import(message.moduleUrl);
  } catch (error) {
    return { type: "load-failed", error: `could not import the module: ${describe(error)}` };
  }
  if (module.default === undefined) {
    return {
      type: "load-failed",
      error: "the module has no default export: `export default definePlugin({ ... })`",
    };
  }
  const parsed = pluginDefinitionSchema.safeParse(module.default);
  if (!parsed.success)
    return {
      type: "load-failed",
      error: `invalid plugin declaration: ${describeIssues(parsed.error)}`,
    };
  const definition = parsed.data;

  // `pushPolicy` is the host's: checked here, so a bad one fails the load, and never the plugin's.
  const invalid = (why: string) => ({
    type: "load-failed" as const,
    error: `invalid settings for plugin "${definition.name}": ${why}`,
  });
  const section = splitSettings(message.settings[definition.name] ?? {});
  if (section.error !== undefined) return invalid(section.error);
  let settings: unknown = section.own;
  if (definition.settings) {
    const result = definition.settings.safeParse(settings);
    if (!result.success) return invalid(describeIssues(result.error, ""));
    settings = result.data;
  }

  const pluginLog = log.child({ plugin: definition.name });
  const schema = pluginSchema(definition, message.state.dialect);
  if ("refused" in schema)
    return { type: "load-failed", error: `plugin tables: ${schema.refused}` };
  try {
    await rpc.call({ method: "state.open", plugin: definition.name, schema });
  } catch (error) {
    return { type: "load-failed", error: `plugin tables: ${describe(error)}` };
  }
  const mention = definition.mention ?? true;
  const commands: PluginCommand[] = [];
  const postbacks: PluginPostbacks = {
    plugin: definition.name,
    routes: new Map(
      Object.entries(definition.postbacks ?? {}).map(([route, { data, handle }]) => [
        route,
        { data, handle: handle as PostbackHandle },
      ]),
    ),
    key: undefined,
  };
  try {
    for (const [word, spec] of Object.entries(definition.commands ?? {}))
      addCommand(commands, pluginCommand(word, spec, mention));
    if (postbacks.routes.size > 0)
      postbacks.key = (await rpc.call({ method: "postback.key" })) as Uint8Array;
  } catch (error) {
    return { type: "load-failed", error: `commands and postbacks: ${describe(error)}` };
  }
  // The host's proxy takes the worker's capability where LINE would take the channel's token;
  // `<capability>@<channel>` asks for another channel's.
  const lineVia = (bearer: string): ChannelLine => {
    const client = new LineClient({
      channelAccessToken: bearer,
      apiBaseUrl: message.env.apiBaseUrl,
      log: pluginLog,
      retry: message.env.retry,
      // The host counts LINE API calls; this client lives in the worker: each attempt is reported.
      onCall: (endpoint, status) => post({ type: "api-call", endpoint, status }),
    });
    const { apiBaseUrl, dataApiBaseUrl } = message.env;
    const access = { apiBaseUrl, dataApiBaseUrl, capability: bearer };
    return { line: client, clients: pluginClients(client.api, access), lineCapability: bearer };
  };
  const { line, clients } = lineVia(message.env.lineCapability);
  const channels = new Map<string, ChannelLine>();
  const viaChannel = (channel: string): ChannelLine => {
    if (channel === DEFAULT_CHANNEL)
      return { line, clients, lineCapability: message.env.lineCapability };
    const found = channels.get(channel) ?? lineVia(`${message.env.lineCapability}@${channel}`);
    channels.set(channel, found);
    return found;
  };
  const registrations: Registrations = { routes: [], commands, open: true };
  const jobs = Object.entries(definition.jobs ?? {});
  const services: WorkerServices = {
    name: definition.name,
    settings,
    log: pluginLog,
    line,
    clients,
    viaChannel,
    state: createPluginState(rpc, message.state),
    files:
      message.state.files === "store"
        ? createRemoteFileStore(rpc)
        : createFileStore(message.env.dataDir, definition.name),
    rpc,
    lifetime: new AbortController(),
    now,
    publicUrl: message.env.publicUrl,
    dataApiBaseUrl: message.env.dataApiBaseUrl,
    lineCapability: message.env.lineCapability,
    registrations,
    postbacks,
    mention,
    sessions: definition.session ?? {},
    dialogs: new Map(Object.entries(definition.dialogs ?? {}) as Array<[string, PluginDialog]>),
    jobs: new Map(jobs.map(([job, spec]) => [job, spec.handler as JobHandler])),
  };
  const context = createPluginContext(services);
  try {
    await definition.setup?.(context as never);
  } catch (error) {
    return { type: "load-failed", error: `setup() failed: ${describe(error)}` };
  } finally {
    registrations.open = false;
  }
  // After setup, which may have put a menu's image in ctx.files. The host checks them as LINE
  // would: a menu LINE would refuse fails the load, with the host's message as it is.
  try {
    const menus = await declaredRichMenus(definition, postbacks, services.files);
    if (menus.length > 0) await rpc.call({ method: "richMenus.declare", menus });
  } catch (error) {
    return { type: "load-failed", error: error instanceof Error ? error.message : String(error) };
  }
  const subscription = compileSubscription({
    queries: Object.keys(definition.on),
    chats: definition.chats,
    standby: definition.standby,
  });
  loaded = { definition, services, context, subscription };
  const manifest: PluginManifest = {
    name: definition.name,
    ...(definition.description ? { description: definition.description } : {}),
    queries: Object.keys(definition.on),
    ...(definition.chats ? { chats: definition.chats } : {}),
    standby: definition.standby ?? false,
    ...(definition.timeoutMs ? { timeoutMs: definition.timeoutMs } : {}),
    routes: registrations.routes.map(({ method, path }) => ({ method, path })),
    priority: definition.priority ?? 0,
    commands: commands.map(routedCommand),
    postbacks: [...postbacks.routes.keys()],
    sessions: (["chat", "user"] as const).filter((scope) => definition.session?.[scope]),
    dialogs: Object.keys(definition.dialogs ?? {}),
    fallbacks: Object.entries(definition.on)
      .filter(([, handler]) => isFallback(handler))
      .map(([query]) => query),
    jobs: jobs.map(([job, { cron, timeZone, every }]) => ({
      name: job,
      ...(cron === undefined ? {} : { cron: String(cron) }),
      ...(timeZone === undefined ? {} : { timeZone: String(timeZone) }),
      ...(every === undefined ? {} : { every: Number(every) }),
    })),
  };
  return { type: "loaded", manifest };
}

async function deliver(message: Extract<HostToWorker, { type: "deliver" }>): Promise<WorkerToHost> {
  syncClock(message.now);
  if (!loaded) return { type: "delivered", id: message.id, error: "plugin is not loaded" };
  const controller = new AbortController();
  inFlight.set(message.id, controller);
  const signal = AbortSignal.any([controller.signal, loaded.services.lifetime.signal]);
  const schedules: ScheduleRequest[] = [];
  const { ctx, sessions } = createEventContext(
    loaded.context,
    loaded.services,
    message,
    signal,
    schedules,
  );
  try {
    const plugin = { ...loaded, on: loaded.definition.on };
    await runRole(plugin, message.role, message.event, message.known, ctx, sessions);
    const changes = sessions.changes();
    return {
      type: "delivered",
      id: message.id,
      ...(Object.keys(changes).length > 0 ? { sessions: changes } : {}),
      ...(schedules.length > 0 ? { schedules } : {}),
    };
  } catch (error) {
    return { type: "delivered", id: message.id, error: describe(error) };
  } finally {
    inFlight.delete(message.id);
  }
}

/** One run of a job: answered like a delivery, with what it scheduled. */
async function runJob(message: Extract<HostToWorker, { type: "run-job" }>): Promise<WorkerToHost> {
  syncClock(message.now);
  const handler = loaded?.services.jobs.get(message.job);
  if (!loaded || !handler)
    return { type: "delivered", id: message.id, error: `no job "${message.job}" is loaded` };
  const controller = new AbortController();
  inFlight.set(message.id, controller);
  const signal = AbortSignal.any([controller.signal, loaded.services.lifetime.signal]);
  const schedules: ScheduleRequest[] = [];
  const ctx = createJobContext(loaded.context, loaded.services, message, signal, schedules);
  try {
    await handler(message.data === null ? undefined : JSON.parse(message.data), ctx);
    return { type: "delivered", id: message.id, ...(schedules.length ? { schedules } : {}) };
  } catch (error) {
    return { type: "delivered", id: message.id, error: describe(error) };
  } finally {
    inFlight.delete(message.id);
  }
}

async function serveHttp(id: number, request: SerializedRequest): Promise<WorkerToHost> {
  const url = new URL(request.url);
  const prefix = `/plugins/${loaded?.definition.name}`;
  const path = url.pathname.slice(prefix.length) || "/";
  const route = loaded?.services.registrations.routes.find(
    (r) => r.method === request.method && r.path === path,
  );
  // The request's signal is aborted at the route's deadline (the host has answered 504 by then)
  // or when the plugin unloads, like a handler's ctx.signal.
  const controller = new AbortController();
  inFlight.set(id, controller);
  let response: Response;
  try {
    response = route
      ? await route.handler(
          new Request(url, {
            method: request.method,
            headers: request.headers,
            signal: controller.signal,
            ...(request.body ? { body: request.body } : {}),
          }),
        )
      : new Response("not found", { status: 404 });
  } catch (error) {
    log.error({ plugin: loaded?.definition.name, path, error }, "route handler failed");
    response = new Response("internal error", { status: 500 });
  } finally {
    inFlight.delete(id);
  }
  const serialized: SerializedResponse = {
    status: response.status,
    headers: [...response.headers],
    body: new Uint8Array(await response.arrayBuffer()),
  };
  return { type: "http-response", id, response: serialized };
}

async function teardown(): Promise<WorkerToHost> {
  if (!loaded) return { type: "torn-down" };
  const { definition, services, context } = loaded;
  for (const controller of inFlight.values()) controller.abort(new Error("plugin is unloading"));
  services.lifetime.abort(new Error("plugin is unloading"));
  services.registrations.routes.length = 0;
  try {
    await definition.teardown?.(context as never);
    return { type: "torn-down" };
  } catch (error) {
    return { type: "torn-down", error: describe(error) };
  }
}

scope.addEventListener("message", (event) => {
  const message = event.data;
  switch (message.type) {
    case "load":
      void load(message).then(post);
      break;
    case "deliver":
      void deliver(message).then(post);
      break;
    case "abort":
      inFlight.get(message.id)?.abort(new Error(message.reason));
      break;
    case "http":
      syncClock(message.now);
      void serveHttp(message.id, message.request).then(post);
      break;
    case "rpc-result":
      rpc.settle(message);
      break;
    case "run-job":
      void runJob(message).then(post);
      break;
    case "ping":
      post({ type: "pong", id: message.id, timers: pendingTimers() });
      break;
    case "teardown":
      void teardown().then(post);
      break;
  }
});

// A stray error in plugin code is logged, and cancelled so that it is not fatal to the version
// where the runtime honours that (Deno). Bun 1.4 ends the worker anyway (see `guarded` above for
// the timers); the host then starts the version afresh.
scope.addEventListener("error", (event) => {
  event.preventDefault();
  log.error(
    { error: describe((event as ErrorEvent).error ?? (event as ErrorEvent).message) },
    "uncaught error in plugin",
  );
});
scope.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  log.error(
    { error: describe((event as PromiseRejectionEvent).reason) },
    "unhandled rejection in plugin",
  );
});

// zod compiles a schema's parser on its first use, ~10 ms for the declaration's: done here, while
// the worker waits as the pool's spare, rather than on a reload's path.
pluginDefinitionSchema.safeParse({ name: "warm-up", on: { "message:text": () => undefined } });
post({ type: "booted" });
