/** Ajv's errors turned into LINE's: its property names and, where known, its wording. */

import { CHAT_ID_PATTERN, HTTPS_PATTERN, USER_ID_PATTERN } from "./limits.ts";
import type { SchemaError } from "./schema/validator.ts";

export interface Violation {
  /** Where, as LINE names it: `messages[0].quickReply.items`. */
  property: string;
  /** What LINE answers: "Size must be between 1 and 13". */
  message: string;
  /** What is wrong, in short: "14 > 13". */
  rule: string;
  /**
   * LINE cannot even read the property (a wrong type, a malformed id): it answers "The property,
   * …, in the request body is invalid" without details.
   */
  unreadable?: true;
}

/** `/messages/0/quickReply/items` → `messages[0].quickReply.items`. */
export function propertyOf(pointer: string, prefix = ""): string {
  let path = prefix;
  for (const raw of pointer.split("/").slice(1)) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path === "" ? segment : `.${segment}`;
  }
  return path;
}

const join = (parent: string, child: string) => (parent === "" ? child : `${parent}.${child}`);

function bounds(error: SchemaError, min: string, max: string): [unknown, unknown] {
  const schema = error.parentSchema ?? {};
  return [schema[min] ?? 0, schema[max] ?? 2147483647];
}

function sizeOf(value: unknown): number {
  if (Array.isArray(value) || typeof value === "string") return value.length;
  return 0;
}

/** Properties LINE calls empty, rather than unspecified, when they are missing. */
const NOT_EMPTY = new Set(["to", "replyToken", "messages", "chatId"]);

const ONLY_USER_IDS =
  "Only user id is acceptable, please confirm if there are any group/room ids or illegal ids.";

const PATTERNS: Record<string, { message: string; rule: string; unreadable?: true }> = {
  [HTTPS_PATTERN]: { message: "invalid uri", rule: "not an https URL" },
  [CHAT_ID_PATTERN]: {
    message: "invalid",
    rule: "not a user, group or room id",
    unreadable: true,
  },
  [USER_ID_PATTERN]: { message: "invalid", rule: "not a user id", unreadable: true },
};

/** One Ajv error as LINE states it; undefined for errors that only echo another one. */
function violationOf(error: SchemaError, prefix: string): Violation | undefined {
  const property = propertyOf(error.instancePath, prefix);
  const { params, data } = error;
  switch (error.keyword) {
    case "required": {
      const missing = join(property, String(params.missingProperty));
      const message = NOT_EMPTY.has(missing) ? "May not be empty" : "must be specified";
      return { property: missing, message, rule: "missing" };
    }
    case "maxItems":
    case "minItems": {
      const [min, max] = bounds(error, "minItems", "maxItems");
      const op = error.keyword === "maxItems" ? ">" : "<";
      const rule = `${sizeOf(data)} ${op} ${params.limit}`;
      return { property, message: `Size must be between ${min} and ${max}`, rule };
    }
    case "maxLength":
    case "minLength": {
      if (error.keyword === "minLength" && params.limit === 1)
        return { property, message: "May not be empty", rule: "empty" };
      const [min, max] = bounds(error, "minLength", "maxLength");
      const op = error.keyword === "maxLength" ? ">" : "<";
      const rule = `${sizeOf(data)} ${op} ${params.limit}`;
      return { property, message: `Length must be between ${min} and ${max}`, rule };
    }
    case "maximum":
    case "minimum": {
      const [min, max] = bounds(error, "minimum", "maximum");
      const op = error.keyword === "maximum" ? ">" : "<";
      return {
        property,
        message: `Must be between ${min} and ${max}`,
        rule: `${data} ${op} ${params.limit}`,
      };
    }
    case "multipleOf": {
      const of = params.multipleOf === 5 ? "five" : String(params.multipleOf);
      return {
        property,
        message: `must be a multiple of ${of}`,
        rule: `${data} is not a multiple of ${params.multipleOf}`,
      };
    }
    case "enum": {
      const values = (params.allowedValues as unknown[]).join(", ");
      const message = `Must be one of the following values: [${values}]`;
      return { property, message, rule: `${JSON.stringify(data)} is not one of [${values}]` };
    }
    case "const":
      return {
        property,
        message: `Must be ${params.allowedValue}`,
        rule: `${JSON.stringify(data)} is not ${params.allowedValue}`,
      };
    case "format":
      return { property, message: "invalid uri", rule: "not a URI" };
    case "pattern": {
      // An empty string is reported as empty (minLength), not as malformed.
      if (data === "") return undefined;
      // The loading animation names the only id it takes (LINE's reference, its error example).
      if (property === "chatId") return { property, message: ONLY_USER_IDS, rule: "not a user id" };
      const known = PATTERNS[String(params.pattern)];
      if (known?.unreadable) return { ...known, property, unreadable: true };
      return {
        property,
        message: known?.message ?? "invalid",
        rule: known?.rule ?? `does not match ${params.pattern}`,
      };
    }
    case "type":
      return { property, message: "invalid", rule: `not ${params.type}`, unreadable: true };
    case "not":
      return { property, message: "Must not be specified", rule: "not allowed together" };
    case "anyOf":
      return { property, message: "must be specified", rule: "missing" };
    default:
      // `if` and `discriminator` repeat what the branch they chose reported.
      return undefined;
  }
}

/**
 * LINE's violations for Ajv's errors. Where two limits apply to one value (any action label is
 * at most 40 characters, one in a quick reply at most 20) only the tighter one is reported.
 */
export function violationsOf(errors: readonly SchemaError[], prefix = ""): Violation[] {
  const tightest = new Map<string, { error: SchemaError; violation: Violation }>();
  for (const error of errors) {
    const violation = violationOf(error, prefix);
    if (violation === undefined) continue;
    const key = `${violation.property}\u0000${error.keyword}`;
    const known = tightest.get(key);
    if (known === undefined || tighter(error, known.error)) tightest.set(key, { error, violation });
  }
  return [...tightest.values()].map(({ violation }) => violation);
}

function tighter(error: SchemaError, than: SchemaError): boolean {
  const limit = Number(error.params.limit);
  const other = Number(than.params.limit);
  if (Number.isNaN(limit) || Number.isNaN(other)) return false;
  return error.keyword.startsWith("max") ? limit < other : limit > other;
}
