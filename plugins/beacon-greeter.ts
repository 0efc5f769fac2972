/**
 * beacon-greeter: greets users by name when they walk into range of a LINE Beacon, answers banner
 * taps, and keeps a visit history other plugins can read (`import { visits } from
 * "./beacon-greeter.ts"`).
 */
import { definePlugin, type EventContext, type Message, type MessageInput, z } from "hotline";
import { and, eq, gt, index, integer, lt, ne, table, text } from "hotline/db";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * One row per beacon event LINE sent us: enter, banner and stay alike, replied to or not.
 * Stay events repeat every 10 s or more while the user is in range, so expect many of those.
 */
export const visits = table(
  "beacon_greeter__visits",
  {
    /** The webhook event's id: a retried or redelivered event is recorded once. */
    eventId: text("event_id").primaryKey(),
    userId: text("user_id").notNull(),
    /** The beacon's hardware id. */
    hwid: text("hwid").notNull(),
    /** "enter", "banner" or "stay" (or a type LINE adds later). */
    type: text("type").notNull(),
    /** The device message, from beacons that send one (LINE Simple Beacon), as LINE gives it. */
    dm: text("dm"),
    /** When LINE saw the user at the beacon (the event's timestamp), ms since the epoch. */
    at: integer("at").notNull(),
    /** When this plugin replied to the visit; null when it did not (cooldown, nothing configured). */
    repliedAt: integer("replied_at"),
  },
  (t) => [
    index("beacon_greeter__visits_recent_replies").on(t.userId, t.hwid, t.type, t.repliedAt),
    index("beacon_greeter__visits_at").on(t.at),
  ],
);

/** A string (a text message) or a message object, checked by LINE when it is sent. */
const messageSchema = z.union([
  z.string().min(1),
  z.custom<Message>(
    (value) => typeof value === "object" && value !== null && "type" in value,
    "expected a text or a LINE message object with a `type`",
  ),
]);
/** One message or up to five, the most one reply can carry. */
const repliesSchema = z
  .union([messageSchema, z.array(messageSchema).min(1).max(5)])
  .transform((value): MessageInput[] => (Array.isArray(value) ? value : [value]));

const greetingSchema = z.string().min(1);

const beaconSchema = z
  .strictObject({
    greeting: greetingSchema.optional(),
    greetingWithoutName: greetingSchema.optional(),
    banner: repliesSchema.optional(),
    stay: repliesSchema.optional(),
  })
  .refine((beacon) => beacon.greetingWithoutName === undefined || beacon.greeting !== undefined, {
    message: "greetingWithoutName needs a greeting next to it",
  });

// Strict: a misspelt key in the config file is an error, not a setting silently left at its default.
const settings = z.strictObject({
  /** `{name}` is replaced with the user's LINE display name. */
  greeting: greetingSchema.default("Welcome, {name}!"),
  /** When the name cannot be had; by default the greeting without `{name}` ("Welcome!"). */
  greetingWithoutName: greetingSchema.optional(),
  /** Replied when a user taps the beacon banner; no reply when unset. */
  banner: repliesSchema.optional(),
  /** Replied while a user stays in range, once per cooldown; stay events are ignored when unset. */
  stay: repliesSchema.optional(),
  /** Per beacon hardware id: overrides of the four above. */
  beacons: z.record(z.string(), beaconSchema).default({}),
  /** At most one greeting (and one stay reply) per user and beacon within this many minutes. */
  cooldownMinutes: z.number().min(0).default(60),
  /** How long a greeting waits for the user's profile before going out without the name. */
  profileWaitMs: z.number().int().min(0).default(1000),
  /** Visits older than this are deleted (it is location data); 0 keeps them forever. */
  keepVisitsDays: z.number().min(0).default(90),
});

type Settings = z.output<typeof settings>;
type Ctx = EventContext<Settings>;

/** "Welcome, {name}!" → "Welcome!": drops the placeholder with the comma or space before it. */
function withoutName(template: string): string {
  return template
    .replace(/[,、]?\s*\{name\}/g, "")
    .replace(/^[\s,、]+/, "")
    .trim();
}

function greetingFor(config: Settings, hwid: string, name: string | undefined): string {
  // A beacon's own greeting comes with its own name-less variant, never the default's.
  const own = config.beacons[hwid];
  const { greeting, greetingWithoutName } = own?.greeting
    ? { greeting: own.greeting, greetingWithoutName: own.greetingWithoutName }
    : config;
  // A function replacement: a "$&" in someone's display name stays as it is.
  if (name) return greeting.replaceAll("{name}", () => name);
  return greetingWithoutName ?? withoutName(greeting);
}

/** Resolves undefined after `ms`: an optional look-up must not hold up a reply. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timeUp: () => void = () => {};
  const timeout = new Promise<undefined>((resolve) => {
    timeUp = () => resolve(undefined);
  });
  const timer = setTimeout(timeUp, ms);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The user's display name, or undefined. The name is a nicety, the greeting is not: a failed
 * look-up (404 for a user LINE will not describe, 5xx after the client's retries) or a slow one
 * (replies are free only while the host's reply deadline lasts; later ones go out as paid pushes)
 * falls back to the name cached earlier, if any, else the user is greeted without one. A slow
 * look-up carries on and caches the name for the next visit.
 */
async function displayName(ctx: Ctx, userId: string): Promise<string | undefined> {
  const lookup = ctx.profile(userId).then(
    (profile) => profile.displayName || undefined,
    (error: unknown) => {
      ctx.log.warn({ userId, error: String(error) }, "profile look-up failed");
      return undefined;
    },
  );
  const fresh = await within(lookup, ctx.settings.profileWaitMs);
  return fresh ?? ((await ctx.user(userId))?.displayName || undefined);
}

/** Whether another visit of this kind, by this user at this beacon, was replied to recently. */
async function inCooldown(
  ctx: Ctx,
  visit: typeof visits.$inferSelect,
  now: number,
): Promise<boolean> {
  const since = now - ctx.settings.cooldownMinutes * MINUTE;
  const recent = await ctx.db
    .select({ eventId: visits.eventId })
    .from(visits)
    .where(
      and(
        eq(visits.userId, visit.userId),
        eq(visits.hwid, visit.hwid),
        eq(visits.type, visit.type),
        gt(visits.repliedAt, since),
        // Not this event itself: a retried handler must still send its reply.
        ne(visits.eventId, visit.eventId),
      ),
    )
    .limit(1);
  return recent.length > 0;
}

export default definePlugin({
  name: "beacon-greeter",
  description: "Greets users by name at LINE Beacons and records their visits",
  // LINE sends beacon events from the user's 1:1 chat with the bot, so the source has a userId.
  chats: ["user"],
  settings,
  tables: { visits },
  // Named beacon_greeter_visits before plugin tables had the "__" separator.
  tableRenames: { beacon_greeter_visits: "beacon_greeter__visits" },

  jobs: {
    prune: {
      every: 60 * MINUTE,
      async handler(_data, ctx) {
        const keepMs = ctx.settings.keepVisitsDays * DAY;
        if (keepMs === 0) return;
        // Never delete what the cooldown still needs, whatever the two settings say.
        const horizonMs = Math.max(keepMs, ctx.settings.cooldownMinutes * MINUTE);
        await ctx.db.delete(visits).where(lt(visits.at, ctx.now() - horizonMs));
      },
    },
  },

  on: {
    beacon: async (event, ctx) => {
      // One reading of the clock for the whole event: the cooldown check and the reply's time.
      const now = ctx.now();
      const visit = {
        eventId: ctx.eventId,
        userId: event.source.userId,
        hwid: event.beacon.hwid,
        type: event.beacon.type,
        dm: event.beacon.dm ?? null,
        at: event.timestamp ?? now,
        repliedAt: null,
      };
      await ctx.db.insert(visits).values(visit).onConflictDoNothing();

      const beacon = ctx.settings.beacons[visit.hwid];
      let replies: MessageInput[] | undefined;
      switch (visit.type) {
        case "enter":
          if (await inCooldown(ctx, visit, now)) return;
          replies = [greetingFor(ctx.settings, visit.hwid, await displayName(ctx, visit.userId))];
          break;
        case "banner":
          // A tap is deliberate: answered every time, no cooldown.
          replies = beacon?.banner ?? ctx.settings.banner;
          break;
        case "stay":
          // Stay events repeat every few seconds: the cooldown keeps this from becoming spam.
          replies = beacon?.stay ?? ctx.settings.stay;
          if (replies && (await inCooldown(ctx, visit, now))) return;
          break;
      }
      if (!replies) return;

      await ctx.reply(...replies);
      await ctx.db.update(visits).set({ repliedAt: now }).where(eq(visits.eventId, visit.eventId));
    },
  },
});
