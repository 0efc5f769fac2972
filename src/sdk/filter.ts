/**
 * Subscription queries: parsed, validated, compiled to predicates and cached here, and typed here,
 * so the host's routing and a handler's parameter type can never disagree.
 *
 *   "*"               every event, including types this version does not know
 *   "follow"          an event type
 *   "message:text"    a message event of one message type
 *   "beacon:enter"    a beacon event of one beacon type
 */
import type {
  BeaconEvent,
  ChatType,
  EventOfType,
  GroupSource,
  KnownEventType,
  KnownMessageType,
  MessageContent,
  MessageEventOf,
  RoomSource,
  UnknownEvent,
  UserSource,
  WebhookEvent,
} from "../core/events.ts";
import { CHAT_TYPES, KNOWN_EVENT_TYPES, KNOWN_MESSAGE_TYPES } from "../core/events.ts";
import { closest } from "./closest.ts";

export const BEACON_TYPES = ["enter", "banner", "stay"] as const;
export type BeaconType = (typeof BEACON_TYPES)[number];

export type FilterQuery =
  | "*"
  | KnownEventType
  | `message:${KnownMessageType}`
  | `beacon:${BeaconType}`;

type MessageOfType<T extends KnownMessageType> = Extract<MessageContent, { type: T }>;

/** The event a handler subscribed with query Q receives. */
export type EventFor<Q extends FilterQuery> = Q extends "*"
  ? WebhookEvent | UnknownEvent
  : Q extends `message:${infer M extends KnownMessageType}`
    ? MessageEventOf<MessageOfType<M>>
    : Q extends `beacon:${infer B extends BeaconType}`
      ? BeaconEvent & { beacon: BeaconEvent["beacon"] & { type: B } }
      : Q extends KnownEventType
        ? EventOfType<Q>
        : never;

type SourceOf<C extends ChatType> = C extends "user"
  ? UserSource
  : C extends "group"
    ? GroupSource
    : RoomSource;

/**
 * Narrows an event's source to the declared chat types. `never` (no chat type known yet, as while
 * TypeScript infers a handler wrapped in `fallback()`) leaves the event as it is.
 */
export type InChat<E, C extends ChatType> = [C] extends [never]
  ? E
  : ChatType extends C
    ? E
    : E extends unknown
      ? E & { source: SourceOf<C> }
      : never;

/** The minimum the matcher reads; works for known and unknown events alike. */
export interface MatchableEvent {
  type: string;
  mode?: string;
  source?: { type?: unknown } | undefined;
  message?: unknown;
  beacon?: unknown;
}

export interface ParsedQuery {
  readonly query: string;
  readonly eventType: string;
  readonly subtype?: string;
}

export class FilterError extends Error {
  override name = "FilterError";
}

const KNOWN_EVENTS = new Set<string>(KNOWN_EVENT_TYPES);
const SUBTYPES: Record<string, ReadonlySet<string>> = {
  message: new Set(KNOWN_MESSAGE_TYPES),
  beacon: new Set(BEACON_TYPES),
};
const parsed = new Map<string, ParsedQuery>();

/** Parses a query string; throws a FilterError that says what was wrong and what would be valid. */
export function parseQuery(query: string): ParsedQuery {
  const cached = parsed.get(query);
  if (cached) return cached;
  const [eventType = "", subtype, extra] = query.split(":");
  if (extra !== undefined) throw new FilterError(`invalid subscription "${query}": too many ':'`);
  if (query !== "*" && !KNOWN_EVENTS.has(eventType)) {
    throw new FilterError(
      `invalid subscription "${query}": unknown event type "${eventType}"${suggest(eventType, KNOWN_EVENT_TYPES)}; use "*" to receive types hotline does not know yet`,
    );
  }
  if (subtype !== undefined) {
    const allowed = SUBTYPES[eventType];
    if (!allowed) {
      throw new FilterError(
        `invalid subscription "${query}": "${eventType}" events have no subtypes (only message:<type> and beacon:<type>)`,
      );
    }
    if (!allowed.has(subtype)) {
      throw new FilterError(
        `invalid subscription "${query}": unknown ${eventType} type "${subtype}"${suggest(subtype, [...allowed])}`,
      );
    }
  }
  const result: ParsedQuery = { query, eventType, ...(subtype ? { subtype } : {}) };
  parsed.set(query, result);
  return result;
}

function suggest(word: string, candidates: readonly string[]): string {
  const near = closest(word, candidates);
  return near ? ` (did you mean "${near}"?)` : "";
}

function subtypeOf(event: MatchableEvent): string | undefined {
  const inner =
    event.type === "message" ? event.message : event.type === "beacon" ? event.beacon : undefined;
  const type = (inner as { type?: unknown } | undefined)?.type;
  return typeof type === "string" ? type : undefined;
}

export function matchesQuery(query: ParsedQuery, event: MatchableEvent, known: boolean): boolean {
  if (query.query === "*") return true;
  // Unknown events (new types, new message types, bodies that failed their schema) reach "*" only:
  // a typed handler must never see a shape its types do not describe.
  if (!known || query.eventType !== event.type) return false;
  return query.subtype === undefined || query.subtype === subtypeOf(event);
}

export interface SubscriptionSpec {
  queries: readonly string[];
  chats?: readonly ChatType[] | undefined;
  standby?: boolean | undefined;
}

export interface CompiledSubscription {
  readonly queries: readonly ParsedQuery[];
  readonly chats: ReadonlySet<string> | undefined;
  readonly standby: boolean;
  /** Which of the queries match, in declaration order; empty when the event is not for this plugin. */
  match(event: MatchableEvent, known: boolean): ParsedQuery[];
  /** Whether the event is for this plugin at all (routing needs no list). */
  matches(event: MatchableEvent, known: boolean): boolean;
  /** Whether the plugin takes events of this chat type and mode at all (its `chats`, `standby`). */
  admits(event: MatchableEvent): boolean;
}

/**
 * Compiles a plugin's subscription. No queries is allowed here: a plugin may take only its
 * commands and postbacks (the manifest checks that it takes something).
 */
export function compileSubscription(spec: SubscriptionSpec): CompiledSubscription {
  const queries = spec.queries.map(parseQuery);
  for (const chat of spec.chats ?? []) {
    if (!(CHAT_TYPES as readonly string[]).includes(chat)) {
      throw new FilterError(
        `invalid chat type "${chat}": use ${CHAT_TYPES.map((c) => `"${c}"`).join(", ")}`,
      );
    }
  }
  const chats = spec.chats && spec.chats.length > 0 ? new Set<string>(spec.chats) : undefined;
  const standby = spec.standby ?? false;
  /** The chat type and standby mode are the plugin's, whatever it subscribes to. */
  const admits = (event: MatchableEvent) => {
    if (event.mode === "standby" && !standby) return false;
    if (!chats) return true;
    const chat = event.source?.type;
    return typeof chat === "string" && chats.has(chat);
  };
  return {
    queries,
    chats,
    standby,
    admits,
    match(event, known) {
      if (!admits(event)) return [];
      return queries.filter((query) => matchesQuery(query, event, known));
    },
    matches(event, known) {
      return admits(event) && queries.some((query) => matchesQuery(query, event, known));
    },
  };
}
