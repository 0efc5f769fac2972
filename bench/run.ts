/**
 * `bun run bench [--quick]`: runs the benchmarks and prints one table. Absolute numbers on a
 * shared machine are noise; compare the ratios measured in the same run.
 */
import { cpus, totalmem } from "node:os";
import { isolationOverhead, reloadLatency, reloadMemory, reloadUnderLoad } from "./reload.ts";
import { printTable, type Row } from "./stats.ts";

const quick = process.argv.includes("--quick");
const rows: Row[] = [];
const step = async (name: string, run: () => Promise<Row[]>) => {
  const started = performance.now();
  process.stderr.write(`bench: ${name}…`);
  rows.push(...(await run()));
  process.stderr.write(` ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
};

await step("reload latency", () => reloadLatency(quick ? 20 : 100));
await step("reload under load", () =>
  quick ? reloadUnderLoad(4, 250, 200) : reloadUnderLoad(20, 500, 200),
);
await step("reload memory", () => reloadMemory(quick ? 200 : 1000));
await step("isolation overhead", () => isolationOverhead(quick ? 5_000 : 50_000));

console.log(
  `\nhotline benchmarks (${quick ? "quick" : "full"}) — Bun ${Bun.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB\n`,
);
printTable(rows);
process.exit(0);
