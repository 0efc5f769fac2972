/**
 * Derives the JSON Schema that hotline validates LINE requests with from LINE's own OpenAPI file
 * (src/line/schema/messaging-api.yml, as LINE publishes it) plus the documented limits the file
 * lacks (src/line/limits.ts), and compiles it with Ajv into standalone validators
 * (src/line/schema/validators.js). Run after replacing the YAML with a newer one or changing a
 * limit:
 *
 *   bun scripts/line-schema.ts          writes validators.js
 *   bun scripts/line-schema.ts --check  fails when the committed file is not what they give
 *
 * OpenAPI 3.0 schemas are JSON Schema but for two things this rewrites:
 *  - polymorphism: a parent names its children in `discriminator.mapping` and each child is
 *    `allOf: [parent, own part]`. Ajv's `discriminator` keyword wants the parent to be a `oneOf`
 *    of its children, each stating its tag. So the parent's own part becomes `<Name>Base`, the
 *    children extend that, state their tag as a `const`, and the parent becomes the `oneOf`.
 *  - `nullable: true` becomes a `null` in `type`.
 * Documentation (descriptions, examples) is dropped, and `format` is kept only for `uri`: the
 * other formats (int32, double…) say nothing LINE checks beyond the type.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv from "ajv";
import standaloneCode from "ajv/dist/standalone";
import { parse } from "yaml";
import { LIMITS, type Limit } from "../src/line/limits.ts";

type Schema = Record<string, unknown>;

const KEPT = new Set([
  "type",
  "properties",
  "required",
  "items",
  "allOf",
  "oneOf",
  "anyOf",
  "enum",
  "const",
  "maxItems",
  "minItems",
  "maxLength",
  "minLength",
  "maximum",
  "minimum",
  "pattern",
  "additionalProperties",
  "$ref",
]);

const REF_PREFIX = "#/components/schemas/";

/** Maps every nested schema of `schema` through `map`, keeping the JSON Schema keywords only. */
function clean(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "format") {
      if (value === "uri") out.format = "uri";
    } else if (key === "nullable") {
      if (value === true) out.nullable = true;
    } else if (key === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, sub]) => [name, clean(sub)]),
      );
    } else if (key === "items" || (key === "additionalProperties" && typeof value === "object")) {
      out[key] = clean(value as Schema);
    } else if (key === "allOf" || key === "oneOf" || key === "anyOf") {
      out[key] = (value as Schema[]).map(clean);
    } else if (KEPT.has(key) || key === "discriminator") {
      out[key] = value;
    }
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === "string") out.type = [out.type, "null"];
  }
  return out;
}

interface Discriminated {
  name: string;
  tag: string;
  /** tag value → child schema name */
  mapping: Record<string, string>;
}

function discriminatedOf(schemas: Record<string, Schema>): Discriminated[] {
  return Object.entries(schemas).flatMap(([name, schema]) => {
    const discriminator = schema.discriminator as
      | { propertyName: string; mapping?: Record<string, string> }
      | undefined;
    if (discriminator?.mapping === undefined) return [];
    const mapping = Object.fromEntries(
      Object.entries(discriminator.mapping).map(([value, ref]) => [
        value,
        ref.slice(REF_PREFIX.length),
      ]),
    );
    return [{ name, tag: discriminator.propertyName, mapping }];
  });
}

/** The rewrite described at the top: parents become `oneOf`s over children that state their tag. */
function rewritePolymorphism(schemas: Record<string, Schema>): void {
  for (const { name, tag, mapping } of discriminatedOf(schemas)) {
    const base = { ...(schemas[name] as Schema) };
    delete base.discriminator;
    schemas[`${name}Base`] = base;
    const parentRef = `${REF_PREFIX}${name}`;
    for (const [value, child] of Object.entries(mapping)) {
      const schema = schemas[child] as Schema;
      const allOf = ((schema.allOf as Schema[] | undefined) ?? []).map((part) =>
        part.$ref === parentRef ? { $ref: `${REF_PREFIX}${name}Base` } : part,
      );
      const required = new Set([...((schema.required as string[] | undefined) ?? []), tag]);
      schemas[child] = {
        ...schema,
        allOf,
        required: [...required],
        properties: {
          ...(schema.properties as Schema | undefined),
          [tag]: { const: value },
        },
      };
    }
    schemas[name] = {
      type: "object",
      required: [tag],
      properties: { [tag]: { type: "string", enum: Object.keys(mapping) } },
      discriminator: { propertyName: tag },
      oneOf: Object.values(mapping).map((child) => ({ $ref: `${REF_PREFIX}${child}` })),
    };
  }
}

/** The JSON Schema document: `components.schemas` of the OpenAPI file, rewritten. */
export function deriveJsonSchema(openapi: {
  components: { schemas: Record<string, Schema> };
}): Schema {
  const schemas = Object.fromEntries(
    Object.entries(openapi.components.schemas).map(([name, schema]) => [name, clean(schema)]),
  );
  rewritePolymorphism(schemas);
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { $id: "line-messaging-api", components: { schemas: sorted } };
}

/** Adds LINE's documented limits (src/line/limits.ts) to the derived schemas. */
export function applyLimits(document: Schema, limits: Limit[]): void {
  const schemas = (document.components as { schemas: Record<string, Schema> }).schemas;
  for (const limit of limits) {
    const schema = schemas[limit.schema];
    if (schema === undefined)
      throw new Error(`limits: no schema ${limit.schema} in the OpenAPI file`);
    if (limit.property === undefined) {
      schema.allOf = [...((schema.allOf as Schema[] | undefined) ?? []), limit.add];
      continue;
    }
    const owner = ownerOf(schema, limit.property);
    if (owner === undefined)
      throw new Error(`limits: ${limit.schema} has no property ${limit.property}`);
    const property = owner[limit.property] as Schema;
    // Beside a $ref the added keywords go in an allOf, which every JSON Schema draft applies.
    owner[limit.property] =
      property.$ref === undefined
        ? { ...property, ...limit.add }
        : { allOf: [property, limit.add] };
  }
}

/** The `properties` object declaring `name`: the schema's own, or one of its allOf parts'. */
function ownerOf(schema: Schema, name: string): Schema | undefined {
  const parts = [schema, ...((schema.allOf as Schema[] | undefined) ?? [])];
  for (const part of parts) {
    const properties = part.properties as Schema | undefined;
    if (properties !== undefined && name in properties) return properties;
  }
  return undefined;
}

/** The schemas hotline validates with, by export name: request bodies and what builders make. */
export const ROOTS = [
  "ReplyMessageRequest",
  "PushMessageRequest",
  "MulticastRequest",
  "NarrowcastRequest",
  "BroadcastRequest",
  "ValidateMessageRequest",
  "Message",
  "FlexContainer",
  "FlexComponent",
  "Action",
  "RichMenuRequest",
  "CreateRichMenuAliasRequest",
  "UpdateRichMenuAliasRequest",
  "RichMenuBulkLinkRequest",
  "RichMenuBulkUnlinkRequest",
  "ShowLoadingAnimationRequest",
  "MarkMessagesAsReadRequest",
];

/** Ajv's standalone code for every root: validators that need neither Ajv nor a compile at run time. */
export function generateValidators(yamlText: string): string {
  const document = deriveJsonSchema(parse(yamlText));
  applyLimits(document, LIMITS);
  const ajv = new Ajv({
    allErrors: true,
    discriminator: true,
    verbose: true,
    // LINE counts UTF-16 code units, as String.length does (Ajv counts code points by default).
    unicode: false,
    inlineRefs: false,
    messages: false,
    strict: false,
    code: { source: true, esm: true },
    formats: { uri: URI },
    // Ajv warns that `unicode` is deprecated; it is still what makes it count like LINE.
    logger: { log() {}, warn() {}, error: console.error },
  });
  ajv.addSchema(document);
  const refs = Object.fromEntries(
    ROOTS.map((name) => [name, `line-messaging-api#/components/schemas/${name}`]),
  );
  const header =
    "// Generated by scripts/line-schema.ts from messaging-api.yml and src/line/limits.ts with\n" +
    "// Ajv's standalone code; do not edit. Regenerate: bun scripts/line-schema.ts\n";
  return `${header}${standaloneCode(ajv, refs)}\n`;
}

/** A URI as LINE's `format: uri` fields take it: a scheme, then no white space. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

const ROOT = resolve(import.meta.dirname, "..");
export const YAML_PATH = join(ROOT, "src/line/schema/messaging-api.yml");
export const OUTPUT_PATH = join(ROOT, "src/line/schema/validators.js");
export const TYPES_PATH = join(ROOT, "src/line/schema/validators.d.ts");

/** The declarations of validators.js: one validator per root. */
export function generateTypes(): string {
  const declarations = ROOTS.map((name) => `export declare const ${name}: Validator;`);
  return [
    "// Generated by scripts/line-schema.ts; do not edit.",
    'import type { Validator } from "./validator.ts";',
    "",
    ...declarations,
    "",
  ].join("\n");
}

if (import.meta.main) {
  const text = generateValidators(readFileSync(YAML_PATH, "utf8"));
  const types = generateTypes();
  if (process.argv.includes("--check")) {
    const stale =
      readFileSync(OUTPUT_PATH, "utf8") !== text || readFileSync(TYPES_PATH, "utf8") !== types;
    if (stale) {
      console.error("line-schema: validators.js is stale; run `bun scripts/line-schema.ts`");
      process.exit(1);
    }
    console.log("line-schema: validators.js matches messaging-api.yml and limits.ts");
  } else {
    writeFileSync(OUTPUT_PATH, text);
    writeFileSync(TYPES_PATH, types);
    console.log("line-schema: wrote src/line/schema/validators.js and validators.d.ts");
  }
}
