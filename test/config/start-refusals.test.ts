/**
 * Start-ups that must not happen, tried on the real entry (`bun src/main.ts` as a child process):
 * each stops with one line on stderr naming the variables, and a non-zero exit, before any port
 * is opened. And the one that may, when asked for explicitly.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { envSchema } from "../../src/config/env.ts";
import { isLoopback } from "../../src/config/local-mode-host.ts";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Far more than a start or a refusal takes; only a hang reaches it. */
const BOUND_MS = 20_000;

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "hotline-refusals-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The parent's environment without any hotline variable, so nothing leaks into the child. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !(key in envSchema.shape) && !key.startsWith("LINE_"))
      env[key] = value;
  return env;
}

interface Started {
  child: ReturnType<typeof Bun.spawn>;
  /** Resolves when the process has exited, with everything it printed. */
  exited: Promise<{ code: number; stdout: string; stderr: string }>;
  /** Resolves with the first JSON log line that matches, as soon as it is printed. */
  logged(match: (line: LogLine) => boolean): Promise<LogLine>;
}

interface LogLine {
  msg: string;
  [field: string]: unknown;
}

/** Reads a stream to its end, telling `onText` what has come so far after every chunk. */
async function readAll(stream: ReadableStream<Uint8Array>, onText: (text: string) => void) {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    onText(text);
  }
  return text;
}

const logLines = (text: string): LogLine[] =>
  text
    .split("\n")
    .filter((line) => line.startsWith("{") && line.endsWith("}"))
    .map((line) => JSON.parse(line) as LogLine);

function start(env: Record<string, string>, config?: object): Started {
  const dir = mkdtempSync(join(scratch, "run-"));
  if (config) writeFileSync(join(dir, "hotline.config.json"), JSON.stringify(config));
  const child = Bun.spawn([process.execPath, "src/main.ts"], {
    cwd: PROJECT_ROOT,
    env: {
      ...cleanEnv(),
      PORT: "0",
      DATA_DIR: join(dir, "data"),
      PLUGINS_DIR: join(dir, "plugins"),
      CONFIG_FILE: join(dir, "hotline.config.json"),
      LOG_LEVEL: "info",
      ...env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), BOUND_MS);
  const watchers = new Set<(text: string) => void>();
  const stdout = readAll(child.stdout, (text) => {
    for (const watch of [...watchers]) watch(text);
  });
  const exited = Promise.all([child.exited, stdout, new Response(child.stderr).text()]).then(
    ([code, out, err]) => {
      clearTimeout(timer);
      return { code, stdout: out, stderr: err };
    },
  );
  const logged = (match: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const watch = (text: string) => {
        const found = logLines(text).find(match);
        if (!found) return;
        watchers.delete(watch);
        resolve(found);
      };
      watchers.add(watch);
      exited.then(({ stdout: out }) => {
        watch(out);
        reject(new Error(`exited without the log line:\n${out}`));
      });
    });
  return { child, exited, logged };
}

/** Starts with `env` and expects the start to be refused: exit 1, one line on stderr. */
async function refusal(
  env: Record<string, string>,
  config?: object,
): Promise<{ line: string; stdout: string }> {
  const { code, stdout, stderr } = await start(env, config).exited;
  expect(code).toBe(1);
  const lines = stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  const line = lines[0] as string;
  expect(line).toStartWith("hotline: ");
  expect(stdout).not.toContain("hotline is running");
  return { line, stdout };
}

describe("local mode stays on loopback", () => {
  test("no credentials and HOST=0.0.0.0: refused, naming HOST, LOCAL_MODE_PUBLIC and the credentials", async () => {
    const { line } = await refusal({ HOST: "0.0.0.0" });
    expect(line).toBe(
      'hotline: local mode (neither LINE_CHANNEL_SECRET nor LINE_CHANNEL_ACCESS_TOKEN is set) refuses HOST="0.0.0.0": its simulator at /dev signs any event it is sent; set both LINE credentials, or a loopback HOST (127.0.0.1), or LOCAL_MODE_PUBLIC=1 to expose local mode on purpose',
    );
  });

  test("the container typo: both credential names misspelt and HOST=0.0.0.0 — refused, the typo named", async () => {
    const { line, stdout } = await refusal({
      HOST: "0.0.0.0",
      LINE_CHANEL_SECRET: "0123456789abcdef0123456789abcdef",
      LINE_CHANEL_ACCESS_TOKEN: "a-token",
    });
    expect(line).toContain("refuses HOST=");
    expect(line).not.toContain("0123456789abcdef");
    const warning = logLines(stdout).find((entry) => entry.variables) as
      | { msg: string; variables: string[] }
      | undefined;
    expect(warning?.variables.sort()).toEqual(["LINE_CHANEL_ACCESS_TOKEN", "LINE_CHANEL_SECRET"]);
    expect(warning?.msg).toContain("a typo of LINE_CHANNEL_SECRET or LINE_CHANNEL_ACCESS_TOKEN?");
    expect(stdout).not.toContain("0123456789abcdef");
  });

  test("IPv6's any-address is refused the same way", async () => {
    const { line } = await refusal({ HOST: "::" });
    expect(line).toContain('refuses HOST="::"');
  });

  test("LOCAL_MODE_PUBLIC that is not a switch stops the start too", async () => {
    const { line } = await refusal({ HOST: "0.0.0.0", LOCAL_MODE_PUBLIC: "yes" });
    expect(line).toBe(
      'hotline: invalid environment variable LOCAL_MODE_PUBLIC (got "yes"): must be "1" or "true" (on), "0" or "false" (off)',
    );
  });

  test("LOCAL_MODE_PUBLIC=1 starts it on all interfaces, with a warning, and stops cleanly", async () => {
    const started = start({ HOST: "0.0.0.0", LOCAL_MODE_PUBLIC: "1" });
    const warning = await started.logged((line) => line.msg.startsWith("LOCAL MODE IS PUBLIC"));
    expect(warning.host).toBe("0.0.0.0");
    const running = await started.logged((line) => line.msg === "hotline is running");
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    started.child.kill("SIGTERM");
    expect((await started.exited).code).toBe(0);
  });
});

describe("credentials: both or neither", () => {
  test("only the secret: refused, naming the missing token", async () => {
    const { line } = await refusal({ LINE_CHANNEL_SECRET: "0123456789abcdef0123456789abcdef" });
    expect(line).toBe(
      "hotline: invalid environment variable LINE_CHANNEL_ACCESS_TOKEN: set both LINE credentials, or neither for local mode",
    );
  });

  test("only the token: refused, naming the missing secret, never showing the token", async () => {
    const { line } = await refusal({ LINE_CHANNEL_ACCESS_TOKEN: "an-access-token-value" });
    expect(line).toBe(
      "hotline: invalid environment variable LINE_CHANNEL_SECRET: set both LINE credentials, or neither for local mode",
    );
  });

  test("a config file's channel with its secret set, and no default channel: refused, not local mode", async () => {
    const secret = "0123456789abcdef0123456789abcdef";
    const channels = { shop: { secretEnv: "SHOP_SECRET", tokenEnv: "SHOP_TOKEN" } };
    const { line } = await refusal({ SHOP_SECRET: secret, SHOP_TOKEN: "a-token" }, { channels });
    expect(line).toBe(
      "hotline: channels shop have their secrets set but the default channel has none: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN too (the default channel is served beside the config file's), or unset them all for local mode",
    );
    expect(line).not.toContain(secret);
  });
});

describe("bearer tokens", () => {
  test("an ADMIN_TOKEN shorter than 32 characters stops the start, saying how to make one", async () => {
    const { line } = await refusal({ HOST: "127.0.0.1", ADMIN_TOKEN: "hunter2-but-longer" });
    expect(line).toBe(
      "hotline: invalid environment variable ADMIN_TOKEN: must be at least 32 characters (make one with `openssl rand -hex 32`)",
    );
  });
});

test("loopback is 127.0.0.0/8, ::1 and localhost; anything else is not", () => {
  for (const host of [
    "127.0.0.1",
    "127.1.2.3",
    "localhost",
    "LOCALHOST",
    "::1",
    "[::1]",
    "::ffff:127.0.0.1",
    "app.localhost",
  ])
    expect(isLoopback(host)).toBe(true);
  for (const host of [
    "0.0.0.0",
    "::",
    "10.0.0.1",
    "192.168.1.10",
    "example.com",
    "localhost.example.com",
    "128.0.0.1",
    "::2",
  ])
    expect(isLoopback(host)).toBe(false);
});
