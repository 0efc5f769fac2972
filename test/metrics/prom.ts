/** Reads samples out of Prometheus text, as a scraper would. */

export async function scrape(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("text/plain")) throw new Error(`/metrics content-type is ${type}`);
  return response.text();
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
    labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, "$1");
  return labels;
}

/**
 * The value of the one sample named `name` whose labels include `labels`; undefined when there is
 * none. Throws when several match: the test must say which one it means.
 */
export function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found: number[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = parseLabels(match[2] ?? "");
    if (Object.entries(labels).every(([key, value]) => have[key] === value))
      found.push(Number(match[3]));
  }
  if (found.length > 1)
    throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0];
}
