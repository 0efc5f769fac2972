/**
 * LINE's documented rules that JSON Schema cannot state: sizes in bytes, columns alike, areas
 * within their menu. They run on what already passed the schema, so the shapes are known.
 */

import type { Violation } from "./schema-errors.ts";

type Json = Record<string, unknown>;

/** "The maximum size of JSON data that defines a bubble is 30 KB" (and a carousel, 50 KB). */
export const MAX_BUBBLE_BYTES = 30 * 1024;
export const MAX_CAROUSEL_BYTES = 50 * 1024;
/** A rich menu's image: width / height at least 1.45. */
export const MIN_RICH_MENU_RATIO = 1.45;

const encoder = new TextEncoder();
/** A property under `at`, which is empty for a message checked on its own. */
const under = (at: string, property: string) => (at === "" ? property : `${at}.${property}`);
const jsonBytes = (value: unknown) => encoder.encode(JSON.stringify(value)).byteLength;

/** `property`: where the container is (`messages[0].contents`, or its type when built alone). */
export function flexSize(contents: Json, property: string): Violation[] {
  const carousel = contents.type === "carousel";
  const max = carousel ? MAX_CAROUSEL_BYTES : MAX_BUBBLE_BYTES;
  const bytes = jsonBytes(contents);
  if (bytes <= max) return [];
  const what = carousel ? "carousel" : "bubble";
  return [
    {
      property,
      message: `The ${what} must be at most ${max / 1024} KB of JSON`,
      rule: `${bytes} bytes > ${max}`,
    },
  ];
}

/** "Keep the number of actions consistent for all columns" of a carousel template. */
function carouselColumns(template: Json, at: string): Violation[] {
  const columns = template.columns as Json[];
  const first = (columns[0]?.actions as unknown[] | undefined)?.length;
  return columns.flatMap((column, index) => {
    const count = (column.actions as unknown[]).length;
    if (count === first) return [];
    return [
      {
        property: under(at, `template.columns[${index}].actions`),
        message: "The number of actions must be the same in all columns",
        rule: `${count} actions != ${first} in columns[0]`,
      },
    ];
  });
}

/** The rules of one message that passed the schema; `at` is its property (`messages[0]`). */
export function messageChecks(message: Json, at: string): Violation[] {
  if (message.type === "flex") return flexSize(message.contents as Json, under(at, "contents"));
  const template = message.template as Json | undefined;
  if (message.type === "template" && template?.type === "carousel")
    return carouselColumns(template, at);
  return [];
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A rich menu: its image not too tall for its width, every area inside it. */
export function richMenuChecks(menu: Json): Violation[] {
  const size = menu.size as Box;
  const violations: Violation[] = [];
  if (size.width / size.height < MIN_RICH_MENU_RATIO) {
    violations.push({
      property: "size",
      message: `width / height must be at least ${MIN_RICH_MENU_RATIO}`,
      rule: `${size.width}x${size.height} is narrower than ${MIN_RICH_MENU_RATIO}:1`,
    });
  }
  for (const [index, area] of (menu.areas as Json[]).entries()) {
    const bounds = area.bounds as Box;
    if (bounds.x + bounds.width <= size.width && bounds.y + bounds.height <= size.height) continue;
    violations.push({
      property: `areas[${index}].bounds`,
      message: "The area must be within the rich menu",
      rule: `${bounds.x + bounds.width}x${bounds.y + bounds.height} outside ${size.width}x${size.height}`,
    });
  }
  return violations;
}
