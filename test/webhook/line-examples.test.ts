/**
 * Conformance with LINE's own example webhook bodies (docs and official SDK tests), read from
 * ../shared/line-examples beside the project when it exists. They are looser than LINE's OpenAPI
 * file (placeholder ids, missing "required" fields), which is why the model is lenient.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { classifyEvent, webhookEnvelopeSchema } from "../../src/core/events.ts";
import { DOCUMENTED_EVENT_TYPES, DOCUMENTED_MESSAGE_TYPES } from "./documented-types.ts";

const examplesDir = resolve(import.meta.dirname, "../../../shared/line-examples");

const documentedEvents = new Set(DOCUMENTED_EVENT_TYPES);
const documentedMessages = new Set(DOCUMENTED_MESSAGE_TYPES);

/**
 * Documented events that nevertheless do not parse as known, with the reason. Empty: every
 * documented example parses. Add an entry (file#index → reason) only for a real LINE quirk.
 */
const DOCUMENTED_BUT_UNKNOWN: Record<string, string> = {};

/** Forward-compatibility fixtures of the SDKs: must stay unknown, never rejected. */
const EXPECTED_UNKNOWN: Record<string, RegExp> = {
  "java--greatNewFeature--user--01.json#0": /unknown event type "greatNewFeature"/,
  "java--message-unknownunknownuknown--unknownunknownuknown--01.json#0":
    /unknown message type "unknownunknownuknown"/,
  "nodejs--greatNewEvent--01.json#0": /unknown event type "greatNewEvent"/,
  "php--unknown--user--01.json#0": /unknown event type "__unknown__"/,
  "php--unknown--unknown--01.json#0": /unknown event type "__unknown__"/,
  "php--message-unknown--user--01.json#0": /unknown message type "__unknown__"/,
  "python-v3--undefined--user--01.json#0": /unknown event type "undefined"/,
  "python-legacy--undefined--user--01.json#0": /unknown event type "undefined"/,
  "batches/java--batch-04--2events.json#0": /unknown event type "greatNewFeature"/,
  "batches/java--batch-04--2events.json#1": /unknown message type "unknownunknownuknown"/,
  "batches/php--batch-05--47events.json#16": /unknown event type "__unknown__"/,
  "batches/php--batch-05--47events.json#17": /unknown event type "__unknown__"/,
  "batches/php--batch-05--47events.json#18": /unknown message type "__unknown__"/,
  "batches/python-v3--batch-02--28events.json#27": /unknown event type "undefined"/,
  "batches/python-legacy--batch-03--27events.json#26": /unknown event type "undefined"/,
};

function isDocumented(raw: unknown): boolean {
  if (typeof raw !== "object" || raw === null) return false;
  const { type, message } = raw as { type?: unknown; message?: { type?: unknown } };
  if (typeof type !== "string" || !documentedEvents.has(type)) return false;
  if (type !== "message" && type !== "messageEdited") return true;
  return typeof message?.type === "string" && documentedMessages.has(message.type);
}

if (!existsSync(examplesDir)) {
  test.skip(`LINE example conformance: skipped, ${examplesDir} does not exist (reference data from ../shared is not beside this checkout)`, () => {});
} else {
  const files = [
    ...readdirSync(examplesDir).filter((name) => name.endsWith(".json")),
    ...readdirSync(join(examplesDir, "batches"))
      .filter((name) => name.endsWith(".json"))
      .map((name) => `batches/${name}`),
  ].sort();
  const unknownSeen = new Set<string>();

  describe("LINE example webhook bodies", () => {
    test("the example set is there", () => {
      expect(files.length).toBeGreaterThanOrEqual(170);
    });

    for (const file of files) {
      test(file, () => {
        const body: unknown = JSON.parse(readFileSync(join(examplesDir, file), "utf8"));
        const envelope = webhookEnvelopeSchema.safeParse(body);
        expect(envelope.success).toBe(true);
        if (!envelope.success) return;

        envelope.data.events.forEach((raw, index) => {
          const key = `${file}#${index}`;
          const parsed = classifyEvent(raw);
          expect(parsed.event.type).not.toBe("invalid");
          if (parsed.kind === "known") {
            expect(JSON.stringify(parsed.event)).toBe(JSON.stringify(raw));
            expect({ key, documented: isDocumented(raw) }).toEqual({ key, documented: true });
            return;
          }
          unknownSeen.add(key);
          expect(parsed.event).toEqual(raw as typeof parsed.event);
          const expected = EXPECTED_UNKNOWN[key];
          if (isDocumented(raw)) {
            expect({ key, reason: parsed.reason }).toEqual({
              key,
              reason:
                DOCUMENTED_BUT_UNKNOWN[key] === undefined ? "(should be known)" : parsed.reason,
            });
          } else {
            expect({ key, expected: expected !== undefined }).toEqual({ key, expected: true });
            if (expected) expect(parsed.reason).toMatch(expected);
          }
        });
      });
    }

    // Runs after the per-file tests (bun runs tests of a file in order).
    test("exactly the listed examples are unknown", () => {
      const listed = [...Object.keys(EXPECTED_UNKNOWN), ...Object.keys(DOCUMENTED_BUT_UNKNOWN)];
      expect([...unknownSeen].sort()).toEqual(listed.sort());
    });
  });
}
