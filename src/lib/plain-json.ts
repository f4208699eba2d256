/**
 * The one guard on the shape of JSON a user hands us (a search config, its
 * `--set` paths, evaluator and LLM options): keys that reach an object's
 * prototype are refused wherever they appear, so no `__proto__` can pollute
 * a prototype in the CLI or pass a check and then fail the search, and the
 * nesting is bounded, so no deep value overflows a recursive reader later.
 */

/** Keys that name or reach a prototype. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deeper than any config needs (the deepest field is 4 levels down), far below any stack limit. */
export const MAX_JSON_DEPTH = 32;

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

/** Why `key` may not be used, naming where it is. */
export function forbiddenKeyMessage(path: string): string {
  return `${path}: the key '${path.split('.').at(-1)}' is not allowed (__proto__, constructor and prototype are refused as keys anywhere); remove it`;
}

/**
 * The first thing that makes `value` no plain JSON tree a config may hold, as
 * "path: problem" (path `(config)` for the top): a forbidden key, nesting
 * deeper than `maxDepth`, a value seen twice on one path (a cycle), or
 * something JSON has no form for (a bigint, a function). Undefined when fine.
 * Iterative, so a value nested 10,000 deep is measured, not a stack overflow.
 */
export function jsonShapeProblem(value: unknown, maxDepth = MAX_JSON_DEPTH, root = '(config)'): string | undefined {
  const stack: { value: unknown; path: string; depth: number; ancestors: ReadonlySet<object> }[] = [{ value, path: root, depth: 0, ancestors: new Set() }];
  while (stack.length > 0) {
    const { value: v, path, depth, ancestors } = stack.pop()!;
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'undefined') continue;
    if (typeof v === 'number') continue; // finiteness is each field's own check
    if (typeof v !== 'object') return `${path}: ${typeof v} is not JSON; give numbers, strings, booleans, arrays and objects only`;
    if (ancestors.has(v)) return `${path}: refers back to itself (a cycle); a config is a plain JSON tree`;
    if (depth >= maxDepth) return `${path}: nested more than ${maxDepth} levels deep; no field of a search config or an evaluation request is`;
    const inside = new Set(ancestors).add(v);
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    for (const [key, child] of entries) {
      const at = path === root ? key : `${path}.${key}`;
      if (!Array.isArray(v) && isForbiddenKey(key)) return forbiddenKeyMessage(at);
      stack.push({ value: child, path: at, depth: depth + 1, ancestors: inside });
    }
  }
  return undefined;
}
