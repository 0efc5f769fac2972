/**
 * The candidate nearest to a mistyped word, for "did you mean" (at most `maxDistance` edits away,
 * two by default).
 */
export function closest(
  word: string,
  candidates: readonly string[],
  maxDistance = 2,
): string | undefined {
  const lower = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(candidate.toLowerCase(), lower);
    if (d <= maxDistance && (!best || d < best.distance)) best = { candidate, distance: d };
  }
  return best?.candidate;
}

/**
 * Edits between two words: insertions, deletions, substitutions, and swaps of two neighbours
 * ("pnig" is one edit from "ping"), the commonest typo (optimal string alignment distance).
 */
function distance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (previous[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      row.push(d);
    }
    before = previous;
    previous = row;
  }
  return previous[b.length] ?? 0;
}
