/** Reading a plugin's sign-in page as a browser would: its form, and what a problem page says. */

const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
};
const unescapeHtml = (value: string) =>
  value.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);
const attribute = (attributes: string, name: string) =>
  new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, "i").exec(attributes)?.[1];

/** The page's heading: what a problem page says went wrong. */
export function headingOf(html: string): string {
  return unescapeHtml(/<h1>([\s\S]*?)<\/h1>/i.exec(html)?.[1]?.trim() ?? "no explanation");
}

export interface SignInForm {
  action: string;
  /** Hidden fields, submitted as they are. */
  fields: Array<[string, string]>;
  /** The first visible field: where the user id goes. */
  idField: string;
}

/** The sign-in form as a browser would submit it; undefined when the page has none. */
export function parseForm(html: string): SignInForm | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const fields: Array<[string, string]> = [];
  let idField: string | undefined;
  for (const input of (form[2] ?? "").matchAll(/<input\b([^>]*)>/gi)) {
    const attributes = input[1] ?? "";
    const name = attribute(attributes, "name");
    if (!name) continue;
    const type = (attribute(attributes, "type") ?? "text").toLowerCase();
    if (type === "hidden") fields.push([name, unescapeHtml(attribute(attributes, "value") ?? "")]);
    else idField ??= name;
  }
  if (!idField) return undefined;
  return { action: unescapeHtml(attribute(form[1] ?? "", "action") ?? ""), fields, idField };
}
