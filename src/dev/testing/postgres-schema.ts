import postgres from "postgres";

/**
 * A PostgreSQL URL whose tables live in a fresh schema (and its plugins' schema), so that bots
 * started side by side on one database see nothing of each other; `drop()` removes both.
 */
export function freshSchemaUrl(databaseUrl: string): { url: string; drop(): Promise<void> } {
  const schema = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const url = new URL(databaseUrl);
  url.searchParams.set("schema", schema);
  return {
    url: url.toString(),
    async drop() {
      url.searchParams.delete("schema");
      const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop schema if exists "${schema}_plugins" cascade`);
        await sql.unsafe(`drop schema if exists "${schema}" cascade`);
      } finally {
        await sql.end();
      }
    },
  };
}
