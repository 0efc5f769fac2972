/** Small statistics and table helpers shared by the benchmarks. */

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export const mib = (bytes: number) => bytes / (1024 * 1024);

export interface Row {
  section: string;
  metric: string;
  value: string;
  note?: string;
}

/** Prints rows as an aligned Markdown table (pastes straight into the README). */
export function printTable(rows: Row[]): void {
  const header = ["section", "metric", "value", "note"];
  const cells = rows.map((r) => [r.section, r.metric, r.value, r.note ?? ""]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const c of cells) console.log(line(c));
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
