/** Request bodies read as LINE reads them: JSON, then LINE's rules for the endpoint. */

import { type LineSchema, type Violation, violations } from "../../line/validate.ts";
import type { RouteRequest } from "./handler.ts";
import { bodyErrors, invalidProperty, lineError, type Outcome } from "./wire.ts";

export type Json = Record<string, unknown>;
export type Parsed<T> = { ok: true; value: T } | { ok: false; outcome: Outcome };

export function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The request body as an object, or LINE's 400 for a body that is not a JSON object. */
export function jsonObject(req: RouteRequest): Parsed<Json> {
  if (req.malformedJson) {
    const message = "The request body could not be parsed as JSON (line: -, column: -)";
    return { ok: false, outcome: lineError(400, message) };
  }
  if (req.body === null) return { ok: true, value: {} };
  if (!isRecord(req.body)) return { ok: false, outcome: invalidProperty("body") };
  return { ok: true, value: req.body };
}

/**
 * LINE's answer to a body that breaks its rules: a property it cannot even read (a wrong type, a
 * malformed id) fails alone, without details; otherwise every violation is listed.
 */
export function refusal(found: readonly Violation[]): Outcome {
  const unreadable = found.find((violation) => violation.unreadable);
  if (unreadable !== undefined) return invalidProperty(unreadable.property);
  return bodyErrors(found.map(({ message, property }) => ({ message, property })));
}

/** The body, checked against the endpoint's schema and LINE's limits (src/line/validate.ts). */
export function checkedBody(req: RouteRequest, schema: LineSchema): Parsed<Json> {
  const body = jsonObject(req);
  if (!body.ok) return body;
  const found = violations(schema, body.value);
  return found.length === 0 ? body : { ok: false, outcome: refusal(found) };
}
