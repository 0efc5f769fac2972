/**
 * hotline as a real child process (`bun src/main.ts`), so a test can SIGKILL it and start it
 * again on the same data directory.
 */

import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";
import { envSchema } from "../../src/config/env.ts";
import { signBody } from "../../src/webhook/signature.ts";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const POLL_MS = 20;

export interface BotProcessOptions {
  channelSecret: string;
  channelAccessToken: string;
  /** The LINE stand-in the test serves; it outlives every bot process. */
  lineUrl: string;
  dataDir: string;
  pluginsDir: string;
  configFile: string;
  /** More environment (REPLY_DEADLINE_MS, DATABASE_URL…). */
  env?: Record<string, string>;
  /** Wait for `/healthz` (the server is up, plugins may still load) or `/readyz` (all loaded). */
  until: "alive" | "ready";
  timeoutMs?: number;
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

async function freePort(): Promise<number> {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port;
  await probe.stop(true);
  if (port === undefined) throw new Error("could not find a free port");
  return port;
}

/** The parent's environment without any hotline variable, so nothing leaks into the child. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !(key in envSchema.shape)) env[key] = value;
  }
  return env;
}

export class BotProcess {
  readonly url: string;
  readonly #child: Subprocess<"ignore", "pipe", "pipe">;
  readonly #secret: string;
  readonly #output: string[] = [];
  readonly #outputWaiters = new Set<() => void>();
  readonly #exited: Promise<number>;
  #exitCode: number | undefined;

  private constructor(child: Subprocess<"ignore", "pipe", "pipe">, url: string, secret: string) {
    this.#child = child;
    this.url = url;
    this.#secret = secret;
    // Both pipes must be drained, or a chatty child blocks on a full pipe.
    const drained = Promise.all([this.#drain(child.stdout), this.#drain(child.stderr)]);
    this.#exited = child.exited.then(async (code) => {
      await drained;
      this.#exitCode = code;
      return code;
    });
  }

  /** Starts the bot and waits for it; retries on another port if the chosen one was taken. */
  static async start(options: BotProcessOptions): Promise<BotProcess> {
    for (let tries = 1; ; tries++) {
      const bot = await BotProcess.#spawn(options, await freePort());
      try {
        await bot.#waitUntilUp(options.until, options.timeoutMs ?? 8000);
        return bot;
      } catch (error) {
        const portTaken = bot.#exitCode !== undefined && /cannot listen/.test(bot.output);
        if (!portTaken || tries >= 3) {
          await bot.kill();
          throw error;
        }
      }
    }
  }

  static async #spawn(options: BotProcessOptions, port: number): Promise<BotProcess> {
    const child = Bun.spawn([process.execPath, "src/main.ts"], {
      cwd: PROJECT_ROOT,
      env: {
        ...baseEnv(),
        PORT: String(port),
        HOST: "127.0.0.1",
        LINE_CHANNEL_SECRET: options.channelSecret,
        LINE_CHANNEL_ACCESS_TOKEN: options.channelAccessToken,
        LINE_API_BASE_URL: options.lineUrl,
        LINE_DATA_API_BASE_URL: options.lineUrl,
        DATA_DIR: options.dataDir,
        PLUGINS_DIR: options.pluginsDir,
        CONFIG_FILE: options.configFile,
        LOG_LEVEL: "info",
        ...options.env,
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    return new BotProcess(child, `http://127.0.0.1:${port}`, options.channelSecret);
  }

  get webhookUrl(): string {
    return `${this.url}/webhook`;
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Everything the child printed so far, stdout and stderr interleaved by arrival. */
  get output(): string {
    return this.#output.join("");
  }

  /** The child's pino log lines (JSON on stdout). */
  logs(): LogLine[] {
    return this.output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as LogLine];
        } catch {
          return [];
        }
      });
  }

  /** Resolves with the first log line that matches, checked now and as more output arrives. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 5000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.logs().find(match);
        if (!found) return;
        clearTimeout(timer);
        this.#outputWaiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.#outputWaiters.delete(check);
        reject(new Error(`no matching log line within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      this.#outputWaiters.add(check);
      check();
    });
  }

  /** Signs the body with the channel secret and posts it to the webhook, as LINE would. */
  post(body: string): Promise<Response> {
    return fetch(this.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-line-signature": signBody(this.#secret, body),
      },
      body,
    });
  }

  /** SIGKILL: no handler runs, nothing is flushed or closed. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.#exitCode === undefined) this.#child.kill("SIGKILL");
    await this.#exited;
  }

  /** SIGSTOP: the process is frozen as it is (its connections stay open) until `resume()`. */
  pause(): void {
    if (this.#exitCode === undefined) this.#child.kill("SIGSTOP");
  }

  /** SIGCONT: a paused process runs on from where it was frozen. */
  resume(): void {
    if (this.#exitCode === undefined) this.#child.kill("SIGCONT");
  }

  /** SIGTERM: the bot finishes in-flight deliveries and closes the database; it must exit 0. */
  async stop(): Promise<void> {
    if (this.#exitCode === undefined) this.#child.kill("SIGTERM");
    const code = await this.#exited;
    if (code !== 0) throw new Error(`hotline exited with ${code} on SIGTERM:\n${this.tail()}`);
  }

  /** The last lines of output, for failure messages. */
  tail(lines = 40): string {
    return this.output.split("\n").slice(-lines).join("\n");
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.#output.push(decoder.decode(chunk, { stream: true }));
      for (const check of [...this.#outputWaiters]) check();
    }
  }

  /** A bounded poll of the bot's own health routes: the real readiness signal. */
  async #waitUntilUp(until: "alive" | "ready", timeoutMs: number): Promise<void> {
    const route = until === "alive" ? "/healthz" : "/readyz";
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.#exitCode !== undefined) {
        throw new Error(`hotline exited with ${this.#exitCode} while starting:\n${this.tail()}`);
      }
      const status = await fetch(`${this.url}${route}`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) return;
      await Bun.sleep(POLL_MS);
    }
    throw new Error(`hotline was not ${until} within ${timeoutMs} ms:\n${this.tail()}`);
  }
}
