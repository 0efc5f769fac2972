import postgres from "postgres";

/**
 * A PostgreSQL URL whose tables live in a fresh schema (and its plugins' schema), so that bots
 * started side by side on one database see nothing of each other; `drop()` removes both.
 */
export function freshSchemaUrl(databaseUrl: string): { url: string; drop(): Promise<void> } {
  const schema = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const url = new URL(databaseUrl);
  url.searchParams.set("schema", schema);
  const fresh = url.toString();
  return { url: fresh, drop: () => dropSchemaUrl(fresh) };
}

/** Removes the schema a URL names (`?schema=`) and its plugins' schema, with what is in them. */
export async function dropSchemaUrl(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get("schema");
  if (!schema || !/^[a-z_][a-z0-9_]*$/.test(schema) || schema === "public")
    throw new Error(`not a test schema: ${schema}`);
  url.searchParams.delete("schema");
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop schema if exists "${schema}_plugins" cascade`);
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
  } finally {
    await sql.end();
  }
}
