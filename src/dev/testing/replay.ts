/**
 * `bot.replay(fixture)`: a fixture's events played back through the bot's signed webhook, one at a
 * time and in order, each awaited until its deliveries settle, the bot's clock set to the event's
 * time; what each loaded plugin sent is read from the store's record of the run (as the admin API
 * shows it), beside what the fixture says it sent.
 */
import type { ManualClock } from "../../core/clock.ts";
import { eventIdOf } from "../../core/event-id.ts";
import type { SentBatch } from "../../core/sent.ts";
import type { PluginStatus } from "../../plugin-host/host.ts";
import type { Store } from "../../storage/store.ts";
import { BOT_USER_ID } from "../events/ids.ts";
import { type Answers, canonical, type FixtureInput, parseFixture } from "../fixtures/fixture.ts";

/** What replaying needs of a test bot. */
export interface ReplayBot {
  readonly clock: ManualClock;
  readonly line: { observe(...events: object[]): void };
  readonly hotline: {
    readonly store: Pick<Store, "history">;
    readonly plugins: { statuses(): PluginStatus[] };
  };
  post(body: string): Promise<Response>;
  advance(ms: number): Promise<void>;
}

export interface ReplayedEvent {
  eventId: string;
  /** `message:text`, `follow`, … */
  type: string;
  timestamp: number;
  /** The chat's key, as the store keeps it (`user:U…`, `group:C…`, `room:R…`). */
  chatKey: string;
  /** Per plugin loaded here: what the fixture says it sent (null: not recorded there). */
  expected: Answers;
  /** Per plugin loaded here: what it sent now. */
  actual: Record<string, SentBatch[]>;
  /** Per plugin whose run failed now: why. */
  errors: Record<string, string>;
  /** Plugins whose answer differs from the recorded one (a plugin not recorded never does). */
  changed: string[];
}

export interface ReplayResult {
  events: ReplayedEvent[];
  /** One entry per event: compare with `actual` (`expect(r.actual).toEqual(r.expected)`). */
  expected: Answers[];
  /** As `expected`, from this run (null where the fixture recorded nothing). */
  actual: Answers[];
  /** How many events got a different answer from some plugin, and how many had a failed run. */
  changed: number;
  errors: number;
}

export interface ReplayOptions {
  /** Compare these plugins' answers; default: every plugin loaded in the bot. */
  plugins?: readonly string[];
  /** Called after each event, with its outcome: progress, or printing as it goes. */
  onEvent?(event: ReplayedEvent, index: number, total: number): void;
}

export async function replayFixture(
  bot: ReplayBot,
  input: FixtureInput,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const fixture = parseFixture(input);
  const plugins =
    options.plugins ??
    bot.hotline.plugins.statuses().flatMap((status) => (status.name ? [status.name] : []));
  // A bot with none of them loaded would "replay green" by answering nothing at all.
  if (plugins.length === 0) throw new Error("bot.replay: no plugin is loaded to replay against");
  const destination = fixture.destination ?? BOT_USER_ID;
  const events: ReplayedEvent[] = [];
  for (const [index, entry] of fixture.events.entries()) {
    const { event } = entry;
    // The reply token the event carries becomes valid at the stand-in, as LINE issued it.
    bot.line.observe(event);
    bot.clock.set(event.timestamp);
    const response = await bot.post(JSON.stringify({ destination, events: [event] }));
    if (response.status !== 200)
      throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
    await bot.advance(0);
    const eventId = eventIdOf(event);
    const [stored] = await bot.hotline.store.history({ eventIds: [eventId], limit: 1 });
    const expected: Answers = {};
    const actual: Record<string, SentBatch[]> = {};
    const errors: Record<string, string> = {};
    const changed: string[] = [];
    for (const plugin of plugins) {
      const delivery = stored?.deliveries.find((d) => d.plugin === plugin);
      expected[plugin] = plugin in entry.answers ? (entry.answers[plugin] ?? null) : [];
      actual[plugin] = delivery?.sent ?? [];
      if (delivery && delivery.status !== "done" && delivery.status !== "dropped")
        errors[plugin] = delivery.lastError ?? delivery.status;
      const before = expected[plugin];
      if (before !== null && canonical(before) !== canonical(actual[plugin])) changed.push(plugin);
    }
    const { message } = event as { message?: { type?: string } };
    const type = message?.type ? `${event.type}:${message.type}` : event.type;
    const chatKey = stored?.event.chatKey ?? "";
    const replayed = { eventId, type, timestamp: event.timestamp, chatKey, expected, actual };
    events.push({ ...replayed, errors, changed });
    options.onEvent?.(events[index] as ReplayedEvent, index, fixture.events.length);
  }
  return {
    events,
    expected: events.map((e) => e.expected),
    actual: events.map((e) =>
      Object.fromEntries(
        Object.entries(e.actual).map(([p, sent]) => [p, e.expected[p] === null ? null : sent]),
      ),
    ),
    changed: events.filter((e) => e.changed.length > 0).length,
    errors: events.filter((e) => Object.keys(e.errors).length > 0).length,
  };
}
