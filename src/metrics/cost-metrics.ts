import { Gauge, type Registry } from "prom-client";
import type { SentCount } from "../storage/quota.ts";
import { FastCounter } from "./fast-counter.ts";

/** What the month's gauges read at scrape time (the durable counts, shared by instances). */
export interface CostSources {
  /** Per channel: what hotline sent this month, and whether its pushes are paused. */
  month(): Promise<Array<{ channel: string; sent: SentCount[]; paused: boolean }>>;
}

/** Cost control's numbers: messages sent, pushes withheld, LINE's monthly limit met. */
export class CostMetrics {
  readonly #sent: FastCounter;
  readonly #withheld: FastCounter;
  readonly #monthlyLimit: FastCounter;
  readonly #registry: Registry;

  constructor(registry: Registry) {
    this.#registry = registry;
    this.#sent = new FastCounter(
      registry,
      "hotline_messages_sent_total",
      "Messages sent by this process, by channel, plugin and kind (reply: free; push: billed, one per recipient)",
      ["channel", "plugin", "kind"],
    );
    this.#withheld = new FastCounter(
      registry,
      "hotline_pushes_withheld_total",
      "Pushes not sent, by channel, plugin and reason (reply-only, budget, paused)",
      ["channel", "plugin", "reason"],
    );
    this.#monthlyLimit = new FastCounter(
      registry,
      "hotline_line_monthly_limit_total",
      'Pushes LINE refused with "You have reached your monthly limit." (each pauses the channel\'s pushes)',
      ["channel"],
    );
  }

  /** The month's gauges, from the store when scraped. */
  watch(sources: CostSources): void {
    const registers = [this.#registry];
    let scrape: { at: number; month: ReturnType<CostSources["month"]> } | undefined;
    // Both gauges read one query per scrape; a database that cannot answer leaves them empty.
    const read = () => {
      const now = performance.now();
      if (!scrape || now - scrape.at > 100)
        scrape = { at: now, month: sources.month().catch(() => []) };
      return scrape.month;
    };
    new Gauge({
      name: "hotline_messages_sent_this_month",
      help: "Messages hotline sent this month (LINE's quota month), by channel, plugin and kind: every instance's",
      labelNames: ["channel", "plugin", "kind"],
      registers,
      async collect() {
        this.reset();
        for (const { channel, sent } of await read())
          for (const { plugin, kind, count } of sent) this.set({ channel, plugin, kind }, count);
      },
    });
    new Gauge({
      name: "hotline_pushes_paused",
      help: "1 while a channel's pushes are paused after LINE's monthly limit",
      labelNames: ["channel"],
      registers,
      async collect() {
        this.reset();
        for (const { channel, paused } of await read()) this.set({ channel }, paused ? 1 : 0);
      },
    });
  }

  sent(channel: string, plugin: string, kind: string, count: number): void {
    for (let i = 0; i < count; i++) this.#sent.inc(channel, plugin, kind);
  }

  withheld(channel: string, plugin: string, reason: string): void {
    this.#withheld.inc(channel, plugin, reason);
  }

  monthlyLimit(channel: string): void {
    this.#monthlyLimit.inc(channel);
  }
}
