/**
 * LINE's rules, in one place: the schemas of LINE's OpenAPI file plus the documented limits it
 * lacks (limits.ts), compiled by Ajv into validators.js at build time (scripts/line-schema.ts),
 * plus the few rules JSON Schema cannot state (checks.ts). The host checks every message before
 * it sends it, the SDK's builders when they build, the LINE stand-in every request it gets.
 */

import { flexSize, messageChecks, richMenuChecks } from "./checks.ts";
import { CHAT_ID_PATTERN } from "./limits.ts";
import type { Validator } from "./schema/validator.ts";
import * as validators from "./schema/validators.js";
import { type Violation, violationsOf } from "./schema-errors.ts";

export type { Violation } from "./schema-errors.ts";

/** What can be checked: a request body of the Messaging API, or a part the builders make. */
export type LineSchema = keyof typeof validators;

const VALIDATORS: { readonly [Name in LineSchema]: Validator } = { ...validators };

type Json = Record<string, unknown>;

/** The messages of a request body that passed its schema, with their property names. */
function messagesOf(body: Json): Array<[Json, string]> {
  const messages = body.messages as Json[] | undefined;
  return (messages ?? []).map((message, index) => [message, `messages[${index}]`]);
}

function checksOf(schema: LineSchema, value: Json, prefix: string): Violation[] {
  switch (schema) {
    case "Message":
      return messageChecks(value, prefix);
    case "RichMenuRequest":
      return richMenuChecks(value);
    case "FlexContainer":
      return flexSize(value, prefix || String(value.type));
    default:
      return messagesOf(value).flatMap(([message, at]) => messageChecks(message, at));
  }
}

/**
 * What breaks LINE's rules in `value`, read as `schema`; empty when LINE would accept it. `prefix`
 * is put before every property (`messages[2]` for a message checked on its own).
 */
export function violations(schema: LineSchema, value: unknown, prefix = ""): Violation[] {
  const validate = VALIDATORS[schema];
  if (!validate(value)) return violationsOf(validate.errors ?? [], prefix);
  return checksOf(schema, value as Json, prefix);
}

/**
 * Each message on its own, named by its index (`messages[6].text`). How many go in one call is
 * the sender's business: a plugin may reply more than five, and the overflow is pushed.
 */
export function messageViolations(messages: readonly unknown[]): Violation[] {
  return messages.flatMap((message, index) => violations("Message", message, `messages[${index}]`));
}

const CHAT_ID = new RegExp(CHAT_ID_PATTERN);

/** A push's recipient: a user, group or room id (`U`, `C` or `R`, then 32 hex digits). */
export function recipientViolations(to: string): Violation[] {
  if (CHAT_ID.test(to)) return [];
  return [
    { property: "to", message: "invalid", rule: "not a user, group or room id", unreadable: true },
  ];
}

/** `messages[0].quickReply.items: 14 > 13` */
export function describeViolation(violation: Violation): string {
  return `${violation.property}: ${violation.rule}`;
}

/**
 * Something LINE would refuse. Sending it again cannot help: the host dead-letters the delivery
 * that made it at once, without retries.
 */
export class InvalidMessageError extends Error {
  override name = "InvalidMessageError";
  readonly permanent = true;

  constructor(
    readonly violations: readonly Violation[],
    /** Who made it (the plugin), when known. */
    readonly source?: string,
  ) {
    const from = source === undefined ? "" : ` from plugin ${source}`;
    super(`invalid message${from}: ${violations.map(describeViolation).join("; ")}`);
  }
}

/** Throws an InvalidMessageError when `value` breaks LINE's rules; returns it unchanged. */
export function assertValid<T>(schema: LineSchema, value: T, prefix = ""): T {
  const found = violations(schema, value, prefix);
  if (found.length > 0) throw new InvalidMessageError(found);
  return value;
}
