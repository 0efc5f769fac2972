import { describe, expect, test } from "bun:test";
import { ConfigError, parseEnv } from "../../src/config/env.ts";

function failure(source: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`parseEnv accepted ${JSON.stringify(source)}`);
}

describe("parseEnv", () => {
  test("defaults: nothing set means local mode on port 3000", () => {
    expect(parseEnv({})).toEqual({
      PORT: 3000,
      HOST: undefined,
      LINE_CHANNEL_SECRET: undefined,
      LINE_CHANNEL_ACCESS_TOKEN: undefined,
      LOCAL_MODE_PUBLIC: false,
      LINE_API_BASE_URL: "https://api.line.me",
      LINE_DATA_API_BASE_URL: "https://api-data.line.me",
      DATA_DIR: "./data",
      DATABASE_URL: undefined,
      PLUGINS_DIR: "./plugins",
      CONFIG_FILE: "./hotline.config.json",
      WEBHOOK_PATH: "/webhook",
      WEBHOOK_MAX_BODY_BYTES: 1024 * 1024,
      WEBHOOK_MAX_EVENTS: 500,
      ADMIN_TOKEN: undefined,
      METRICS_TOKEN: undefined,
      LOG_LEVEL: "info",
      DISPATCH_CONCURRENCY: 32,
      REPLY_DEADLINE_MS: 1500,
      HANDLER_TIMEOUT_MS: 30_000,
      PLUGIN_IDLE_MS: 10_000,
      MAX_ATTEMPTS: 5,
      INBOX_RETENTION_HOURS: 72,
      LINE_QUOTA_TIME_ZONE: "Asia/Tokyo",
      RECORD_SENT: true,
    });
  });

  test("LINE_QUOTA_TIME_ZONE must be a time zone", () => {
    expect(parseEnv({ LINE_QUOTA_TIME_ZONE: "Asia/Bangkok" }).LINE_QUOTA_TIME_ZONE).toBe(
      "Asia/Bangkok",
    );
    expect(failure({ LINE_QUOTA_TIME_ZONE: "Mars/Olympus" }).message).toContain(
      "invalid environment variable LINE_QUOTA_TIME_ZONE",
    );
  });

  test("values are coerced and normalised", () => {
    const env = parseEnv({
      PORT: "8080",
      LINE_CHANNEL_SECRET: "secret",
      LINE_CHANNEL_ACCESS_TOKEN: "token",
      LINE_API_BASE_URL: "http://127.0.0.1:9000/",
      WEBHOOK_PATH: "/line/webhook/",
      WEBHOOK_MAX_BODY_BYTES: "2048",
      LOG_LEVEL: "debug",
    });
    expect(env).toMatchObject({
      PORT: 8080,
      LINE_CHANNEL_SECRET: "secret",
      LINE_CHANNEL_ACCESS_TOKEN: "token",
      LINE_API_BASE_URL: "http://127.0.0.1:9000",
      WEBHOOK_PATH: "/line/webhook",
      WEBHOOK_MAX_BODY_BYTES: 2048,
      LOG_LEVEL: "debug",
    });
    expect(parseEnv({ WEBHOOK_PATH: "/" }).WEBHOOK_PATH).toBe("/");
  });

  test("variables that are not ours are ignored", () => {
    expect(parseEnv({ PATH: "/usr/bin", HOME: "/root" }).PORT).toBe(3000);
  });

  test("an empty value counts as unset (`PORT= bun run start`), not as zero or an error", () => {
    const env = parseEnv({
      PORT: "",
      LINE_CHANNEL_SECRET: "",
      LINE_CHANNEL_ACCESS_TOKEN: "  ",
      ADMIN_TOKEN: "",
      WEBHOOK_MAX_BODY_BYTES: "",
      LOG_LEVEL: "",
    });
    expect(env).toEqual(parseEnv({}));
    expect(env.PORT).toBe(3000);
    expect(env.LINE_CHANNEL_SECRET).toBeUndefined();
  });

  const bad: Array<[string, string]> = [
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["PORT", "-1"],
    ["PORT", "80.5"],
    ["LINE_API_BASE_URL", "ftp://api.line.me"],
    ["LINE_DATA_API_BASE_URL", "not a url"],
    ["WEBHOOK_PATH", "webhook"],
    ["WEBHOOK_PATH", "/web hook"],
    ["WEBHOOK_MAX_BODY_BYTES", "0"],
    ["WEBHOOK_MAX_BODY_BYTES", "1mb"],
    ["WEBHOOK_MAX_EVENTS", "0"],
    ["WEBHOOK_MAX_EVENTS", "many"],
    ["LOCAL_MODE_PUBLIC", "yes"],
    ["LOCAL_MODE_PUBLIC", "on"],
    ["LOG_LEVEL", "verbose"],
    ["LOG_LEVEL", "info\nfatal"],
    ["DISPATCH_CONCURRENCY", "-4"],
    ["REPLY_DEADLINE_MS", "1.5"],
    ["HANDLER_TIMEOUT_MS", "soon"],
    ["MAX_ATTEMPTS", "0"],
    ["INBOX_RETENTION_HOURS", "forever"],
  ];

  test.each(bad)("%s=%p fails with one line naming the variable", (name, value) => {
    const { message } = failure({ [name]: value });
    expect(message).toStartWith(`invalid environment variable ${name}`);
    expect(message).not.toContain("\n");
    expect(message).not.toContain("\r");
    expect(message.length).toBeLessThan(300);
  });

  test("the offending value is shown for ordinary variables, escaped", () => {
    expect(failure({ PORT: "abc" }).message).toContain('"abc"');
    expect(failure({ LOG_LEVEL: "info\nfatal" }).message).toContain('"info\\nfatal"');
  });

  test("a very long value is cut short in the message", () => {
    const { message } = failure({ LOG_LEVEL: "x".repeat(5000) });
    expect(message.length).toBeLessThan(300);
    expect(message).toContain("LOG_LEVEL");
  });

  test("secrets are never echoed, whichever variable fails", () => {
    const secrets = {
      LINE_CHANNEL_SECRET: "s3cr3t-channel-secret-value",
      LINE_CHANNEL_ACCESS_TOKEN: "t0k3n-access-token-value",
      ADMIN_TOKEN: "adm1n-token-value-0123456789abcdef0123",
    };
    for (const [name, value] of bad) {
      const { message } = failure({ ...secrets, [name]: value });
      for (const secret of Object.values(secrets)) expect(message).not.toContain(secret);
    }
  });

  test("LOCAL_MODE_PUBLIC is a switch: 1/true on, 0/false off, unset off", () => {
    for (const on of ["1", "true"])
      expect(parseEnv({ LOCAL_MODE_PUBLIC: on }).LOCAL_MODE_PUBLIC).toBe(true);
    for (const off of ["0", "false"])
      expect(parseEnv({ LOCAL_MODE_PUBLIC: off }).LOCAL_MODE_PUBLIC).toBe(false);
    expect(parseEnv({}).LOCAL_MODE_PUBLIC).toBe(false);
  });

  test.each(["ADMIN_TOKEN", "METRICS_TOKEN"])(
    "%s: at least 32 characters and no spaces, said without showing it",
    (name) => {
      const short = failure({ [name]: "too-short-a-token" }).message;
      expect(short).toBe(
        `invalid environment variable ${name}: must be at least 32 characters (make one with \`openssl rand -hex 32\`)`,
      );
      const spaced = failure({ [name]: "a token with spaces in it, long enough though" }).message;
      expect(spaced).toStartWith(`invalid environment variable ${name}: must not contain spaces`);
      expect(spaced).not.toContain("long enough");
      const token = "0123456789abcdef0123456789abcdef";
      expect(parseEnv({ [name]: token })[name as "ADMIN_TOKEN" | "METRICS_TOKEN"]).toBe(token);
    },
  );

  test("only the first bad variable is reported, by name", () => {
    const { message } = failure({ PORT: "abc", LOG_LEVEL: "verbose" });
    expect(message).toContain("PORT");
    expect(message).not.toContain("LOG_LEVEL");
  });
});
