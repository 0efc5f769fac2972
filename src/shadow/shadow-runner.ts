/**
 * Shadow runs: a plugin's next version (`plugins/<name>.next.ts`), opted in with `"shadow": true`
 * in the plugin's settings section, gets every event its live version gets, in a plugin host of
 * its own: its own workers, its own state (`DATA_DIR/shadow/`), no way to LINE (its LINE proxy
 * leads nowhere, and without the token), its replies and pushes recorded in the ShadowLog and never
 * sent, its schedules and rich menus not applied. A shadow run starts after the live run ends and
 * is never awaited by it: a crashing or slow next version cannot touch the live one. Promote it
 * by renaming the file over the live one; hot reload does the rest.
 */
import { readConfigFile } from "../config/config-file.ts";
import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { SentBatch } from "../core/sent.ts";
import type { DeliveryJob } from "../dispatch/types.ts";
import type { Logger } from "../logging/logger.ts";
import type { PluginHost } from "../plugin-host/host.ts";
import type { ShadowLog } from "./shadow-log.ts";

/** What a live run hands its shadow: the event, as the live version got it. */
export type MirroredJob = Omit<DeliveryJob, "reply" | "push">;

/** The plugins whose settings section says `"shadow": true`. */
export function shadowedPlugins(config: Config): Set<string> {
  const sections = readConfigFile(config.env.CONFIG_FILE).plugins;
  return new Set(
    Object.entries(sections)
      .filter(([, section]) => (section as { shadow?: unknown } | null)?.shadow === true)
      .map(([name]) => name),
  );
}

export class ShadowRunner {
  readonly #running = new Set<Promise<void>>();

  constructor(
    private readonly o: {
      host: PluginHost;
      log: ShadowLog;
      clock: Clock;
      logger: Logger;
      /** Read at each run, so opting in or out takes effect with the config file. */
      optedIn: () => ReadonlySet<string>;
    },
  ) {}

  /** Runs the event through the plugin's next version, if it has one and is opted in. */
  mirror(plugin: string, job: MirroredJob): void {
    try {
      // A broken config file throws here: the live host reports it; shadows wait for a good one.
      if (!this.o.host.loaded().has(plugin) || !this.o.optedIn().has(plugin)) return;
      const run = this.#run(plugin, job).finally(() => this.#running.delete(run));
      this.#running.add(run);
    } catch (error) {
      this.o.logger.warn({ err: error, plugin }, "shadow run not started");
    }
  }

  async #run(plugin: string, job: MirroredJob): Promise<void> {
    const sent: SentBatch[] = [];
    let error: string | null = null;
    try {
      const outcome = await this.o.host.deliver(plugin, {
        ...job,
        reply: async (messages) => {
          sent.push({ via: "reply", messages });
        },
        push: async (messages, to) => {
          sent.push({ via: "push", ...(to ? { to } : {}), messages });
        },
      });
      if (outcome.status === "failed") error = outcome.error;
      else if (outcome.status !== "ok") error = `not run: ${outcome.status}`;
    } catch (caught) {
      error = (caught as Error).message;
    }
    const version = this.o.host.statuses().find((status) => status.name === plugin)?.version;
    this.o.log.record(job.eventId, plugin, { version, sent, error, at: this.o.clock.now() });
    const fields = { webhookEventId: job.eventId, plugin, messages: sent.length, error };
    this.o.logger.info(fields, "shadow run recorded (not sent)");
  }

  /** Resolves when every shadow run started so far has been recorded. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
