/**
 * `bun run export-fixture --chat <chat key> [--since …] [--until …] [--limit N] [--anonymize
 * [--keep word,…]] [--out file]`: one chat's stored events and what each plugin sent, as a JSON
 * fixture the test kit replays (`await bot.replay(fixture)`). Reads the store DATA_DIR or
 * DATABASE_URL names, read only.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { anonymizeFixture } from "../fixtures/anonymize.ts";
import { fixtureFromHistory } from "../fixtures/fixture.ts";
import type { CliIo } from "./cli-io.ts";
import { openHistoryReader, parseTime } from "./store-reader.ts";

const USAGE = `usage: bun run export-fixture --chat <user:U…|group:C…|room:R…> [--since <time>]
  [--until <time>] [--limit N] [--anonymize [--keep word,word]] [--out <file>]
times: epoch ms, ISO 8601, or ago (--since=-2h, --since=-3d); the store: DATA_DIR or DATABASE_URL`;

export async function exportFixture(argv: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
    if (!values.chat) throw new Error("--chat is required");
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error("--limit must be a positive integer");
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const reader = openHistoryReader({
    dataDir: io.env.DATA_DIR || "./data",
    databaseUrl: io.env.DATABASE_URL || undefined,
  });
  try {
    const now = Date.now();
    const entries = await reader.history({
      chatKey: values.chat,
      ...(values.since ? { since: parseTime(values.since, now) } : {}),
      ...(values.until ? { until: parseTime(values.until, now) } : {}),
      limit: Number(values.limit),
    });
    let fixture = fixtureFromHistory(entries);
    if (values.anonymize) {
      const keep = values.keep?.split(",").filter((word) => word !== "") ?? [];
      const onQuoted = (words: number) =>
        io.err(
          `export-fixture: answers still quote ${words} words users wrote (parts of their ` +
            "messages a plugin repeated); look before sharing the fixture",
        );
      fixture = anonymizeFixture(fixture, { keep, onQuoted });
    }
    const text = `${JSON.stringify(fixture, null, 2)}\n`;
    if (values.out) {
      writeFileSync(values.out, text, { mode: 0o600 });
      io.err(`export-fixture: ${entries.length} events of ${values.chat} → ${values.out}`);
    } else io.out(text);
    return 0;
  } finally {
    await reader.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      chat: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      limit: { type: "string", default: "10000" },
      anonymize: { type: "boolean", default: false },
      keep: { type: "string" },
      out: { type: "string" },
    },
    strict: true,
  });
}

if (import.meta.main) {
  const io: CliIo = {
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => console.error(text),
  };
  exportFixture(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`export-fixture: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
