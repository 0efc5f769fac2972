/**
 * `/admin/quota`: per channel, LINE's monthly quota and consumption beside what hotline sent this
 * month (replies and pushes, per plugin), and whether its pushes are paused after LINE's monthly
 * limit; `POST /admin/quota/<channel>/resume` lets them go again.
 */
import { Elysia } from "elysia";
import type { PushGate } from "../dispatch/push-policy.ts";
import { describeError, type LineClient } from "../line/client.ts";
import type { QuotaStore, SentCount } from "../storage/quota.ts";
import type { Guard } from "./respond.ts";
import { json } from "./respond.ts";

/** What the quota routes read: the channels' clients, the gate, and the durable counts. */
export interface CostControl {
  /** Each channel's LINE client, by channel name. */
  clients(): ReadonlyMap<string, LineClient>;
  gate: Pick<PushGate, "month" | "resume" | "sentIn" | "flush">;
  quota: QuotaStore;
  timeZone: string;
}

/** LINE's own numbers; its error, when it could not tell (hotline's numbers still show). */
async function lineQuota(client: LineClient | undefined) {
  if (!client) return { error: "no LINE client for this channel (not configured now)" };
  try {
    const [quota, consumption] = await Promise.all([
      client.call("quota", () => client.api.getMessageQuota()),
      client.call("quota-consumption", () => client.api.getMessageQuotaConsumption()),
    ]);
    return { quota, consumption };
  } catch (error) {
    return { error: describeError(error) };
  }
}

function sentSummary(rows: SentCount[]) {
  const plugins: Record<string, { replies: number; pushes: number }> = {};
  let replies = 0;
  let pushes = 0;
  for (const { plugin, kind, count } of rows) {
    plugins[plugin] ??= { replies: 0, pushes: 0 };
    if (kind === "reply") {
      plugins[plugin].replies += count;
      replies += count;
    } else {
      plugins[plugin].pushes += count;
      pushes += count;
    }
  }
  return { replies, pushes, plugins };
}

export function quotaRoutes(options: { guard: Guard; cost: CostControl; now: () => number }) {
  const { guard, cost, now } = options;
  return new Elysia()
    .get(
      "/quota",
      guard(async () => {
        const month = cost.gate.month();
        const clients = cost.clients();
        const names = new Set([...clients.keys(), ...(await cost.quota.channels(month))]);
        const channels = await Promise.all(
          [...names].sort().map(async (channel) => {
            const [line, sent, pause] = await Promise.all([
              lineQuota(clients.get(channel)),
              cost.gate.sentIn(channel, month),
              cost.quota.pause(channel, now()),
            ]);
            const paused = pause
              ? {
                  reason: pause.reason,
                  pausedAt: new Date(pause.pausedAt).toISOString(),
                  until: new Date(pause.until).toISOString(),
                }
              : null;
            return { channel, line, paused, sent: sentSummary(sent) };
          }),
        );
        return json(200, { month, timeZone: cost.timeZone, channels });
      }),
    )
    .post(
      "/quota/:channel/resume",
      guard(async (_request, params) => {
        const channel = params.channel ?? "";
        const resumed = await cost.gate.resume(channel);
        return json(200, { channel, resumed });
      }),
      { parse: "none" },
    );
}
