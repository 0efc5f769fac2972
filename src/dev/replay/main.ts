/** `bun run replay`: see `replay.ts`. The sandbox never sees the live channel's credentials. */
import { replay } from "./replay.ts";

const env = { ...process.env };
for (const name of ["LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "DATABASE_URL"])
  delete process.env[name];

// Ctrl-C ends a `--follow` run with its summary; a second one ends the process.
const stop = new AbortController();
process.once("SIGINT", () => {
  stop.abort();
  process.once("SIGINT", () => process.exit(130));
});

replay(
  process.argv.slice(2),
  {
    env,
    out: (text) => process.stdout.write(text),
    err: (text) =>
      process.stderr.write(
        text.endsWith("\r\x1b[2K") || text.startsWith("\r") ? text : `${text}\n`,
      ),
    tty: process.stderr.isTTY === true,
  },
  stop.signal,
).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`replay: ${(error as Error).message}`);
    process.exit(1);
  },
);
