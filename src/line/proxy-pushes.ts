import { MONTHLY_LIMIT_MESSAGE } from "./monthly-limit.ts";

/** Cost control for the pushes plugins make through the proxy (`ctx.api`), per channel. */
export interface PushGuard {
  /** Why the plugin may not push to `recipients` now (the worker gets a 403), or undefined. */
  refuse(
    channel: string,
    plugin: string | undefined,
    recipients: number,
  ): Promise<string | undefined>;
  /** LINE accepted it; `recipients` 0 for a broadcast or narrowcast (LINE alone knows its reach). */
  sent(channel: string, plugin: string | undefined, recipients: number): void;
  /** LINE answered with its monthly limit: the channel's pushes pause. */
  monthlyLimit(channel: string, plugin: string | undefined, error: string): void;
}

/** A request that sends messages billed against the quota. */
export interface PushCall {
  recipients: number;
}

const PUSHES = /^\/v2\/bot\/message\/(push|multicast|broadcast|narrowcast)$/;

export function pushCall(
  method: string,
  path: string,
  body: ArrayBuffer | undefined,
): PushCall | undefined {
  const kind = method.toUpperCase() === "POST" ? PUSHES.exec(path)?.[1] : undefined;
  if (kind === undefined) return undefined;
  if (kind === "push") return { recipients: 1 };
  if (kind !== "multicast" || body === undefined) return { recipients: 0 };
  try {
    const { to } = JSON.parse(new TextDecoder().decode(body)) as { to?: unknown };
    return { recipients: Array.isArray(to) ? to.length : 0 };
  } catch {
    // LINE refuses what is not JSON: nothing will be sent.
    return { recipients: 0 };
  }
}

/** Reports LINE's answer to a push: counted when accepted, a pause at the monthly limit. */
export async function settlePush(
  guard: PushGuard,
  channel: string,
  plugin: string | undefined,
  call: PushCall,
  upstream: Response,
): Promise<void> {
  if (upstream.ok) return guard.sent(channel, plugin, call.recipients);
  if (upstream.status !== 429) return;
  const text = await upstream.clone().text();
  if (MONTHLY_LIMIT_MESSAGE.test(text)) guard.monthlyLimit(channel, plugin, `HTTP 429: ${text}`);
}
