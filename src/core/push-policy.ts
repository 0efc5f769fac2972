import { z } from "zod";

/**
 * What a plugin may spend on pushes (replies are free, pushes count against LINE's monthly
 * quota), set by the operator in the plugin's settings section as `pushPolicy`. The host reads it
 * for every plugin; the plugin never declares it, and its own settings schema never sees it.
 *  - "allow": pushes go out (a reply that cannot go as a reply is pushed);
 *  - "reply-only": a reply that cannot go as a reply is dropped, and the plugin cannot push;
 *  - { monthlyBudget: N }: at most N pushes a month, then as "reply-only".
 */
export const pushPolicySchema = z.union([
  z.literal("allow"),
  z.literal("reply-only"),
  z.strictObject({ monthlyBudget: z.number().int().nonnegative() }),
]);

export type PushPolicy = z.infer<typeof pushPolicySchema>;

export const PUSH_POLICY_KEY = "pushPolicy";
/**
 * Opt-in: when the plugin is still working as its event's reply goes out, the reply says "tap to
 * see the answer" and the answer waits for the tap's fresh reply token instead of being pushed.
 * `true`, or the text to show.
 */
export const TAP_TO_SEE_KEY = "tapToSee";
export const DEFAULT_TAP_TEXT = "Still working on it. Tap below to see the answer.";
const tapToSeeSchema = z.union([z.boolean(), z.string().trim().min(1).max(500)]);

/** The keys of a settings section that are the host's. */
export interface HostSettings {
  pushPolicy: PushPolicy;
  /** The text of the "tap to see" message; undefined when the plugin has not opted in. */
  tapToSee: string | undefined;
}

/**
 * A settings section as the host reads it: its own keys (defaults when unset), or why a value is
 * wrong, and the rest, for the plugin's own schema.
 */
export function splitSettings(section: unknown): HostSettings & {
  error: string | undefined;
  own: unknown;
} {
  const settings: HostSettings = { pushPolicy: "allow", tapToSee: undefined };
  if (typeof section !== "object" || section === null || Array.isArray(section))
    return { ...settings, error: undefined, own: section };
  const {
    [PUSH_POLICY_KEY]: policy,
    [TAP_TO_SEE_KEY]: tap,
    ...own
  } = section as Record<string, unknown>;
  let error: string | undefined;
  if (policy !== undefined) {
    const parsed = pushPolicySchema.safeParse(policy);
    if (parsed.success) settings.pushPolicy = parsed.data;
    else
      error = `${PUSH_POLICY_KEY}: must be "allow", "reply-only" or { "monthlyBudget": N } (N a whole number ≥ 0), got ${JSON.stringify(policy)}`;
  }
  if (tap !== undefined) {
    const parsed = tapToSeeSchema.safeParse(tap);
    if (!parsed.success)
      error ??= `${TAP_TO_SEE_KEY}: must be true, false or a text (at most 500 characters)`;
    else if (parsed.data !== false)
      settings.tapToSee = parsed.data === true ? DEFAULT_TAP_TEXT : parsed.data;
  }
  return { ...settings, error, own };
}
