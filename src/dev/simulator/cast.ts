/** Who is in the simulation: three people, their group, and the handle that mentions the bot. */

/** The people in the simulation, with ids in LINE's format (U + 32 hex digits). */
export const PEOPLE = [
  { id: `U${"a11ce".padEnd(32, "0")}`, name: "Alice" },
  { id: `U${"b0b".padEnd(32, "0")}`, name: "Bob" },
  { id: `U${"ca201".padEnd(32, "0")}`, name: "Carol" },
] as const;
export const GROUP = { id: `C${"7ea3".padEnd(32, "0")}`, name: "Team" } as const;
/** How the bot is mentioned in the group: "@hotline". */
export const BOT_HANDLE = "hotline";

export type Person = (typeof PEOPLE)[number];

/** The person with this id; request schemas only let known ids through. */
export function personOf(id: string): Person {
  return PEOPLE.find((person) => person.id === id) ?? PEOPLE[0];
}
