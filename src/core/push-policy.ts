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
 * A settings section as the host reads it: its push policy ("allow" when unset), or why the value
 * is not one, and the rest, for the plugin's own schema.
 */
export function splitSettings(section: unknown): {
  policy: PushPolicy;
  error: string | undefined;
  own: unknown;
} {
  if (typeof section !== "object" || section === null || !(PUSH_POLICY_KEY in section))
    return { policy: "allow", error: undefined, own: section };
  const { [PUSH_POLICY_KEY]: value, ...own } = section as Record<string, unknown>;
  const parsed = pushPolicySchema.safeParse(value);
  if (parsed.success) return { policy: parsed.data, error: undefined, own };
  const error = `${PUSH_POLICY_KEY}: must be "allow", "reply-only" or { "monthlyBudget": N } (N a whole number ≥ 0), got ${JSON.stringify(value)}`;
  return { policy: "allow", error, own };
}
