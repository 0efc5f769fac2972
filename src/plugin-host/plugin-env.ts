/**
 * What a plugin worker keeps of the host's environment: variables that describe the machine
 * (where programs and temporary files are, the locale and time zone, production or not), which
 * libraries and tools read to behave as they do elsewhere on it. Never a credential.
 *
 * An allow-list, not a deny-list: the host's environment holds secrets under names hotline does
 * not know (an API key set for another program, a proxy URL with a password), and a variable
 * added tomorrow must not reach plugins by default. A plugin is configured by its settings.
 */
const KEPT = new Set(["PATH", "HOME", "TMPDIR", "TZ", "LANG", "LANGUAGE", "NODE_ENV"]);
/** The locale's parts: LC_ALL, LC_CTYPE, LC_TIME… */
const KEPT_PREFIX = "LC_";

export function pluginEnvironment(
  host: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(host)) {
    if (value !== undefined && (KEPT.has(name) || name.startsWith(KEPT_PREFIX))) kept[name] = value;
  }
  return kept;
}
