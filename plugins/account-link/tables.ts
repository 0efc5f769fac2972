/**
 * The account-link plugin's tables. Other plugins may read `accountLinks` (import it from here,
 * not from index.ts, so they do not pull in the plugin itself); only account-link writes them.
 *
 *   import { accountLinks } from "./account-link/tables.ts";
 *   const [link] = await ctx.db.select().from(accountLinks).where(eq(accountLinks.providerUserId, id));
 *   if (link) await ctx.push(`Your order shipped`, { to: link.lineUserId });
 */
import { integer, table, text } from "hotline/db";

/** Who is who: one LINE user per provider user and one provider user per LINE user. */
export const accountLinks = table("account_link__links", {
  lineUserId: text("line_user_id").primaryKey(),
  providerUserId: text("provider_user_id").notNull().unique(),
  linkedAt: integer("linked_at").notNull(),
});

/**
 * The link tokens this plugin got from LINE. Sign-in accepts only these, so a made-up or stale
 * token gets no nonce, and every nonce belongs to the LINE user who asked to link.
 */
export const linkTokens = table("account_link__tokens", {
  linkToken: text("link_token").primaryKey(),
  /** The LINE user the token was issued for: the only user its nonce may link. */
  lineUserId: text("line_user_id").notNull(),
  issuedAt: integer("issued_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  /** When a sign-in traded it for a nonce: a link token buys one nonce, as it buys one link. */
  usedAt: integer("used_at"),
});

/**
 * One sign-in: the nonce sent to LINE with the user's redirect, and what became of it. Kept after
 * it is resolved, as the record of link attempts (failed ones included), then pruned.
 */
export const linkAttempts = table("account_link__attempts", {
  nonce: text("nonce").primaryKey(),
  lineUserId: text("line_user_id").notNull(),
  providerUserId: text("provider_user_id").notNull(),
  createdAt: integer("created_at").notNull(),
  /** The link token's expiry: LINE will not send the event for this nonce later than that. */
  expiresAt: integer("expires_at").notNull(),
  /** pending: waiting for LINE's event · linked: the link was made · failed: LINE said failed */
  status: text("status", { enum: ["pending", "linked", "failed"] })
    .notNull()
    .default("pending"),
  resolvedAt: integer("resolved_at"),
  /** The accountLink event that resolved it, so a retried delivery of that event is recognised. */
  eventId: text("event_id"),
});

/** Their names before plugin tables had the "__" separator: renamed, rows and all, at load. */
export const formerNames = {
  account_link_links: "account_link__links",
  account_link_tokens: "account_link__tokens",
  account_link_attempts: "account_link__attempts",
};
