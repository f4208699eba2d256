/**
 * Worker-side lists read from the environment (which LLM key variables a
 * search may name, which variables a command program gets): comma-separated
 * entries, each a name or a prefix ending in `*`. One reading and one match
 * rule, so every list a worker's owner writes means the same.
 */

/** The entries of a comma-separated list, trimmed; undefined when there are none. */
export function envList(text: string | undefined): string[] | undefined {
  const list = text?.split(',').map((s) => s.trim()).filter(Boolean);
  return list && list.length > 0 ? list : undefined;
}

/** Whether `name` is `entry`, or starts with it where it ends in `*` ("*" alone: every name). */
export function nameMatches(entry: string, name: string): boolean {
  return entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry;
}
