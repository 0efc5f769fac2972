/** The event model's public face: schemas, types and parsing, from one module. */
export * from "./event-schemas.ts";
export * from "./message-content.ts";
export * from "./parsed-event.ts";
export * from "./sources.ts";
