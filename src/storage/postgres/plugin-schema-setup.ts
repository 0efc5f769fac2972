/**
 * The plugins' schema: plugin tables are made there, and the host's shared tables appear there as
 * views of the default channel, shaped as on SQLite, so `users` and `chats` from "hotline/db" read
 * the same on both stores. Writing them fails: plugins read the shared tables, the host keeps them.
 */
export function sharedTablesForPlugins(host: string, plugins: string): string {
  const h = `"${host}"`;
  const p = `"${plugins}"`;
  return `
    create schema if not exists ${p};
    create or replace view ${p}.users as
      select user_id, display_name, picture_url, status_message, language, following,
        followed_at, unfollowed_at, profile_fetched_at, updated_at
      from ${h}.users where channel = 'default';
    create or replace view ${p}.chats as
      select chat_key, type, chat_id, member, joined_at, left_at, updated_at
      from ${h}.chats where channel = 'default';
    create or replace function ${p}.hotline_read_only() returns trigger language plpgsql as $$
      begin
        raise exception 'the shared table "%" is read-only for plugins', tg_table_name;
      end
    $$;
    drop trigger if exists read_only on ${p}.users;
    create trigger read_only instead of insert or update or delete on ${p}.users
      for each row execute function ${p}.hotline_read_only();
    drop trigger if exists read_only on ${p}.chats;
    create trigger read_only instead of insert or update or delete on ${p}.chats
      for each row execute function ${p}.hotline_read_only();
  `;
}
