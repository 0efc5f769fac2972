/**
 * Ids and tokens in LINE's formats, and the clock event timestamps come from. Web-standard APIs
 * only (no Bun.*, no node:*): plugin tests may run under Deno.
 */

// Ids in LINE's formats (U/C/R + 32 hex), recognisable as test values.
export const DEFAULT_USER_ID = "U0123456789abcdef0123456789abcdef";
export const DEFAULT_GROUP_ID = "C0123456789abcdef0123456789abcdef";
export const DEFAULT_ROOM_ID = "R0123456789abcdef0123456789abcdef";
/** The bot's own user id: the envelope's `destination`. */
export const BOT_USER_ID = "Ufedcba9876543210fedcba9876543210";

let clock: () => number = Date.now;

/** Where timestamps (and the time part of webhookEventIds) come from; no argument restores Date.now. */
export function setEventClock(now?: () => number): void {
  clock = now ?? Date.now;
}

/** The time on the event clock. */
export function eventTime(): number {
  return clock();
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let lastTime = -1;
const lastRandom = new Uint8Array(10);

/**
 * A ULID: 10 characters of millisecond time, 16 of randomness. Within one millisecond the random
 * part is incremented instead of redrawn, so ids from a frozen clock stay unique and ordered.
 */
export function ulid(time: number = clock()): string {
  if (time === lastTime) {
    for (let i = lastRandom.length - 1; i >= 0; i--) {
      lastRandom[i] = ((lastRandom[i] ?? 0) + 1) & 0xff;
      if (lastRandom[i] !== 0) break;
    }
  } else {
    crypto.getRandomValues(lastRandom);
    lastTime = time;
  }
  return encodeTime(time) + encodeRandom(lastRandom);
}

function encodeTime(time: number): string {
  let encoded = "";
  let t = Math.max(0, Math.floor(time));
  for (let i = 0; i < 10; i++) {
    encoded = CROCKFORD[t % 32] + encoded;
    t = Math.floor(t / 32);
  }
  return encoded;
}

function encodeRandom(bytes: Uint8Array): string {
  let encoded = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      encoded += CROCKFORD[(value >>> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return encoded;
}

export function randomFrom(alphabet: string, length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

export const HEX = "0123456789abcdef";
export const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** LINE message ids are decimal strings of about 18 digits. */
export function messageId(): string {
  return randomFrom("123456789", 1) + randomFrom("0123456789", 17);
}

export function replyToken(): string {
  return randomFrom(HEX, 32);
}

export function quoteToken(): string {
  return randomFrom(ALNUM, 24);
}
