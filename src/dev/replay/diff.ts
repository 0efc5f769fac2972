/**
 * What a replayed event got, as a reader wants it: each message one line (`reply text "hi"`,
 * `push→U… flex "alt text"`), the live version's lines against the new one's, line by line.
 */
import type { SentBatch } from "../../core/sent.ts";

export type Verdict = "identical" | "changed" | "added" | "dropped" | "error" | "unrecorded";

export interface EventDiff {
  verdict: Verdict;
  /** `  same`, `- live only`, `+ new only`. */
  lines: string[];
}

const clip = (text: string, max = 100) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** One message on one line: its type and what a person would read of it. */
export function messageLine(message: Record<string, unknown>): string {
  const { type, text, altText, packageId, stickerId } = message;
  if (typeof text === "string") return `${type} ${JSON.stringify(clip(text))}`;
  if (typeof altText === "string") return `${type} ${JSON.stringify(clip(altText))}`;
  if (type === "sticker") return `sticker ${packageId}/${stickerId}`;
  return clip(`${type} ${JSON.stringify(message)}`);
}

export function sentLines(sent: readonly SentBatch[]): string[] {
  return sent.flatMap((batch) =>
    batch.messages.map((message) => {
      const via = batch.via === "push" ? `push→${batch.to ?? "?"}` : "reply";
      return `${via} ${messageLine(message as unknown as Record<string, unknown>)}`;
    }),
  );
}

/** A line diff by longest common subsequence: answers are a few messages, never long. */
function lineDiff(before: string[], after: string[]): string[] {
  const n = before.length;
  const m = after.length;
  const table = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      (table[i] as number[])[j] =
        before[i] === after[j]
          ? (table[i + 1]?.[j + 1] ?? 0) + 1
          : Math.max(table[i + 1]?.[j] ?? 0, table[i]?.[j + 1] ?? 0);
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      lines.push(`  ${before[i++]}`);
      j++;
    } else if (i < n && (j === m || (table[i + 1]?.[j] ?? 0) >= (table[i]?.[j + 1] ?? 0)))
      lines.push(`- ${before[i++]}`);
    else lines.push(`+ ${after[j++]}`);
  }
  return lines;
}

export function diffEvent(
  live: readonly SentBatch[] | null,
  next: readonly SentBatch[],
  error: string | undefined,
  /** The answers differ, compared whole (see `canonical`). */
  changed: boolean,
): EventDiff {
  const after = sentLines(next);
  if (error !== undefined) {
    const lines = [...(live ? sentLines(live).map((l) => `- ${l}`) : []), `! ${clip(error, 300)}`];
    return { verdict: "error", lines };
  }
  if (live === null) return { verdict: "unrecorded", lines: after.map((l) => `? ${l}`) };
  const before = sentLines(live);
  const lines = lineDiff(before, after);
  if (lines.every((line) => line.startsWith("  "))) {
    // Same lines can still differ in what a line leaves out (a flex message's contents).
    if (!changed) return { verdict: "identical", lines };
    return { verdict: "changed", lines: ["~ same lines, different content", ...lines] };
  }
  const verdict = before.length === 0 ? "added" : after.length === 0 ? "dropped" : "changed";
  return { verdict, lines };
}
