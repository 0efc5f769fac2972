/**
 * One plugin's rich menus at LINE brought to its declaration, in an order that never leaves a
 * user without a menu they had: new menus are created (or reused by content hash) with their
 * images, users linked to a replaced menu move to its new version, aliases and the default are
 * pointed at the new menus, and only then are the old ones deleted. Every step is recorded as it
 * is made, so a sync cut short (a crash, LINE failing) is finished by the next one.
 */
import type { Logger } from "../logging/logger.ts";
import type { RichMenuRecord, RichMenuStore } from "../storage/rich-menus.ts";
import type { Effects } from "./effects.ts";
import { BULK_LINK_USERS, type ListedMenu } from "./line-ops.ts";
import type { PlannedRichMenu } from "./plan.ts";

export interface ReconcileParts {
  store: RichMenuStore;
  log: Logger;
  /** Whether another loaded plugin declares this alias (or, for `"default"`, a default menu). */
  claimedElsewhere(plugin: string, claim: { alias: string } | "default"): boolean;
}

interface Run {
  parts: ReconcileParts;
  fx: Effects;
  plugin: string;
  planned: PlannedRichMenu[];
  records: RichMenuRecord[];
  /** Declared name → its record, once the menu is at LINE with its image. */
  current: Map<string, RichMenuRecord>;
}

export async function reconcile(
  parts: ReconcileParts,
  fx: Effects,
  plugin: string,
  planned: PlannedRichMenu[],
): Promise<void> {
  const records = await parts.store.records();
  const run: Run = { parts, fx, plugin, planned, records, current: new Map() };
  await createMissing(run);
  const kept = new Set(run.current.values());
  const replaced = records.filter((record) => record.plugin === plugin && !kept.has(record));
  for (const name of new Set(replaced.map((record) => record.name))) {
    const successor = run.current.get(name);
    if (successor) await relink(run, name, successor.richMenuId);
  }
  await pointAliases(run);
  await pointDefault(run);
  for (const old of replaced) {
    if (old.alias !== null) await fx.deleteAlias(old.alias);
    if (old.isDefault) await fx.clearDefault(old.richMenuId);
    await fx.deleteMenu(old.richMenuId);
    await fx.remove(old.richMenuId);
    if (!run.current.has(old.name)) await fx.dropLinks({ plugin, name: old.name });
    parts.log.info({ plugin, richMenu: old.name, richMenuId: old.richMenuId }, "rich menu deleted");
  }
}

/** Each declared menu at LINE: reused by its hash, else found (a create that seemed to fail) or made. */
async function createMissing(run: Run): Promise<void> {
  const { fx, plugin, records } = run;
  let listed: ListedMenu[] | undefined;
  for (const menu of run.planned) {
    let record = records.find(
      (r) => r.plugin === plugin && r.name === menu.name && r.contentHash === menu.hash,
    );
    if (!record) {
      listed ??= await fx.list();
      const known = new Set(records.map((r) => r.richMenuId));
      const made = listed.find((m) => m.name === menu.menu.name && !known.has(m.richMenuId));
      const richMenuId = made?.richMenuId ?? (await fx.create(menu.menu));
      const { name, hash: contentHash } = menu;
      record = {
        richMenuId,
        plugin,
        name,
        contentHash,
        imageUploaded: false,
        alias: null,
        isDefault: false,
      };
      // Recorded before anything else happens to it: whatever follows, the next sync knows it.
      await fx.save(record);
      records.push(record);
      run.parts.log.info({ plugin, richMenu: name, richMenuId }, "rich menu created");
    }
    if (!record.imageUploaded) {
      await fx.upload(record.richMenuId, menu.image, menu.imageType);
      record.imageUploaded = true;
      await fx.save(record);
    }
    run.current.set(menu.name, record);
  }
}

/** The users `ctx.richMenu.link` gave the menu `name` now see its new version. */
async function relink(run: Run, name: string, richMenuId: string): Promise<void> {
  const link = { plugin: run.plugin, name };
  let after: string | undefined;
  for (;;) {
    const users = await run.parts.store.linkedUsers(link, BULK_LINK_USERS, after);
    if (users.length === 0) return;
    await run.fx.linkMany(users, richMenuId);
    after = users.at(-1);
  }
}

/** Said at every sync that meets it (the probe's too): it stays wrong until a plugin changes. */
function refuse(run: Run, what: string, holder: RichMenuRecord): void {
  run.parts.log.error(
    { plugin: run.plugin, holder: holder.plugin },
    `${what} stays with plugin ${holder.plugin}'s rich menu "${holder.name}", which declares it too`,
  );
}

async function pointAliases(run: Run): Promise<void> {
  const { fx, records } = run;
  for (const menu of run.planned) {
    const target = run.current.get(menu.name) as RichMenuRecord;
    const wanted = menu.alias ?? null;
    if (target.alias === wanted) continue;
    if (target.alias !== null) {
      await fx.deleteAlias(target.alias);
      target.alias = null;
      await fx.save(target);
    }
    if (wanted === null) continue;
    const holder = records.find((record) => record.alias === wanted);
    if (holder && holder.plugin !== run.plugin) {
      if (run.parts.claimedElsewhere(run.plugin, { alias: wanted })) {
        refuse(run, `alias "${wanted}"`, holder);
        continue;
      }
    }
    await fx.pointAlias(wanted, target.richMenuId, holder !== undefined);
    if (holder) {
      holder.alias = null;
      await fx.save(holder);
    }
    target.alias = wanted;
    await fx.save(target);
  }
}

async function pointDefault(run: Run): Promise<void> {
  const { fx, records } = run;
  const wanted = run.planned.find((menu) => menu.default);
  const target = wanted && (run.current.get(wanted.name) as RichMenuRecord);
  if (target && !target.isDefault) {
    const holder = records.find((record) => record.isDefault);
    if (holder && holder.plugin !== run.plugin && run.parts.claimedElsewhere(run.plugin, "default"))
      refuse(run, "the default rich menu", holder);
    else {
      await fx.setDefault(target.richMenuId);
      for (const record of records.filter((r) => r.isDefault)) {
        record.isDefault = false;
        await fx.save(record);
      }
      target.isDefault = true;
      await fx.save(target);
    }
  }
  // A menu the plugin no longer declares the default stops being it.
  for (const record of run.current.values()) {
    if (!record.isDefault || record === target) continue;
    await fx.clearDefault(record.richMenuId);
    record.isDefault = false;
    await fx.save(record);
  }
}
