/**
 * A registry of plug-ins by name: spaces, strategies, evaluators, LLM
 * providers. Adding a plug-in is one line in its kind's registry; an unknown
 * name is refused with the list of known ones, so a typo in a config reads
 * like advice rather than a stack trace.
 */
export interface Registry<T extends { readonly name: string }> {
  /** What the registry holds, for messages: "search space", "strategy"... */
  readonly kind: string;
  readonly names: readonly string[];
  has(name: string): boolean;
  /** The plug-in, or an Error naming the known ones. */
  get(name: string): T;
  list(): readonly T[];
  /** "use one of a, b, c" */
  readonly hint: string;
}

export function createRegistry<T extends { readonly name: string }>(kind: string, plugins: readonly T[]): Registry<T> {
  const byName = new Map<string, T>();
  for (const p of plugins) {
    // Two plug-ins under one name would make a config mean two things.
    if (byName.has(p.name)) throw new Error(`${kind} registry: '${p.name}' is registered twice`);
    byName.set(p.name, p);
  }
  const names = [...byName.keys()];
  const hint = `use one of ${names.join(', ')}`;
  return {
    kind,
    names,
    hint,
    has: (name) => byName.has(name),
    get(name) {
      const p = byName.get(name);
      if (!p) throw new Error(`unknown ${kind} '${name}'; ${hint}`);
      return p;
    },
    list: () => [...byName.values()],
  };
}
