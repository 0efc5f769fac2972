/** The shape of the validators Ajv generates (validators.js), as hotline reads them. */

/** One failed check, as Ajv reports it with `verbose`. */
export interface SchemaError {
  /** JSON Pointer to the value: `/messages/0/quickReply/items`. */
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  /** The value that failed. */
  data: unknown;
  /** The schema holding the keyword (its other bounds, for LINE's "between … and …"). */
  parentSchema?: Record<string, unknown>;
}

export interface Validator {
  (data: unknown): boolean;
  /** The failures of the last call; null when it passed. */
  errors?: SchemaError[] | null;
}
