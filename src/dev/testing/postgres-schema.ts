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

/**
 * One connection per server for the drops, kept between them: a new connection costs ~50 ms here,
 * and a test run drops hundreds of schemas. Closed after a second unused, so it never holds the
 * process open.
 */
const admins = new Map<string, postgres.Sql>();

function adminOf(serverUrl: string): postgres.Sql {
  let sql = admins.get(serverUrl);
  if (!sql) {
    sql = postgres(serverUrl, { max: 1, idle_timeout: 1, onnotice: () => {} });
    admins.set(serverUrl, sql);
  }
  return sql;
}

/** Removes the schema a URL names (`?schema=`) and its plugins' schema, with what is in them. */
export async function dropSchemaUrl(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get("schema");
  if (!schema || !/^[a-z_][a-z0-9_]*$/.test(schema) || schema === "public")
    throw new Error(`not a test schema: ${schema}`);
  url.searchParams.delete("schema");
  // Both in one round trip, one transaction.
  await adminOf(url.toString()).unsafe(
    `drop schema if exists "${schema}_plugins" cascade; drop schema if exists "${schema}" cascade`,
  );
}
