/** `bun run replay`: see `replay.ts`. The sandbox never sees the live channel's credentials. */
import { replay } from "./replay.ts";

const env = { ...process.env };
for (const name of ["LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "DATABASE_URL"])
  delete process.env[name];

replay(process.argv.slice(2), {
  env,
  out: (text) => process.stdout.write(text),
  err: (text) =>
    process.stderr.write(text.endsWith("\r\x1b[2K") || text.startsWith("\r") ? text : `${text}\n`),
  tty: process.stderr.isTTY === true,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`replay: ${(error as Error).message}`);
    process.exit(1);
  },
);
