/**
 * What checking LINE's rules costs on the send path: loading the generated validators (once per
 * process and per plugin worker, measured in fresh processes) and checking a message.
 */
import { join } from "node:path";
import { fmt, type Row } from "./stats.ts";

const ROOT = join(import.meta.dir, "..");

/** Milliseconds to import the rules in a fresh process (median of `runs`). */
async function loadMs(runs: number): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(join(ROOT, "src/line/validate.ts"))}); console.log(performance.now() - t);`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe" });
    times.push(Number(await new Response(child.stdout).text()));
    await child.exited;
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)] ?? Number.NaN;
}

/** Microseconds per check of `messages`, after a warm-up. */
async function checkUs(messages: unknown[], iterations: number): Promise<number> {
  const { messageViolations } = await import("../src/line/validate.ts");
  for (let i = 0; i < 1000; i++) messageViolations(messages);
  const started = performance.now();
  for (let i = 0; i < iterations; i++) messageViolations(messages);
  return ((performance.now() - started) * 1000) / iterations;
}

const text = [{ type: "text", text: "Hello, world" }];
const items = Array.from({ length: 13 }, (_, i) => ({
  type: "action",
  action: { type: "postback", label: `Option ${i}`, data: `option=${i}` },
}));
const quickReply = [{ type: "text", text: "Pick one", quickReply: { items } }];
const flexBubble = [
  {
    type: "flex",
    altText: "Order",
    contents: {
      type: "bubble",
      body: {
        type: "box",
        layout: "vertical",
        contents: Array.from({ length: 20 }, (_, i) => ({ type: "text", text: `Line ${i}` })),
      },
      footer: {
        type: "box",
        layout: "vertical",
        contents: [{ type: "button", action: { type: "postback", label: "Pay", data: "pay" } }],
      },
    },
  },
];

export async function lineRules(quick: boolean): Promise<Row[]> {
  const iterations = quick ? 20_000 : 200_000;
  const section = "LINE rules";
  return [
    {
      section,
      metric: "load the rules (fresh process)",
      value: `${fmt(await loadMs(quick ? 3 : 9), 1)} ms`,
      note: "once per process and per plugin worker",
    },
    { section, metric: "check a text", value: `${fmt(await checkUs(text, iterations), 2)} µs` },
    {
      section,
      metric: "check a text with 13 quick replies",
      value: `${fmt(await checkUs(quickReply, iterations), 2)} µs`,
    },
    {
      section,
      metric: "check a Flex bubble (22 components)",
      value: `${fmt(await checkUs(flexBubble, iterations), 2)} µs`,
      note: "includes its 30 KB size check (JSON.stringify)",
    },
  ];
}
