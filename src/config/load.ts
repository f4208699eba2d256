import { readFileSync } from 'node:fs';
import { forbiddenKeyMessage, isForbiddenKey } from '../lib/plain-json';

/**
 * A search config from a JSON file, with `--set path=value` overrides (the
 * value parsed as JSON when it parses, else kept as a string). Checking the
 * fields is resolve.ts's job; this only reads.
 */
export function loadConfig(file: string, sets: readonly string[] = []): Record<string, unknown> {
  return withSets(readConfigFile(file), sets);
}

/** A config file's JSON object, or an error naming the file and what to do. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read the config file (${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}); give the path of a search config, e.g. config/default.json`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message}); fix the file or start from config/default.json`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new Error(`${file}: a search config is a JSON object, e.g. {"space": "nb201", "dataset": "cifar10", "strategy": "random", "budget": 100}`);
  }
  return config as Record<string, unknown>;
}

/**
 * `config` with `--set path=value` overrides applied (a file's, or a
 * schedule's stored config), as a new object: only the objects along each
 * path are copied, so the original is left as it was and no deep value is
 * walked (a 10,000-deep config is refused by the check, not overflowed here).
 */
export function withSets(config: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  return sets.reduce(applySet, config);
}

function applySet(config: Record<string, unknown>, set: string): Record<string, unknown> {
  const eq = set.indexOf('=');
  if (eq < 1) throw new Error(`--set ${set}: expected field=value, e.g. --set budget=200 or --set strategy.name=evolution`);
  const path = set.slice(0, eq).split('.');
  // Checked before any object is walked: `--set __proto__.budget=7` would write to Object.prototype.
  const bad = path.findIndex(isForbiddenKey);
  if (bad >= 0) throw new Error(`--set ${forbiddenKeyMessage(path.slice(0, bad + 1).join('.'))}`);
  if (path.some((key) => key === '')) throw new Error(`--set ${set}: '${set.slice(0, eq)}' has an empty field name; write e.g. --set strategy.name=evolution`);
  const raw = set.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // A bare word stays a string: --set dataset=cifar100
  }
  const root: Record<string, unknown> = { ...config };
  let node = root;
  for (const key of path.slice(0, -1)) {
    const child = Object.hasOwn(node, key) ? node[key] : undefined;
    const copy = Array.isArray(child) ? [...child] : typeof child === 'object' && child !== null ? { ...child } : {};
    node[key] = copy;
    node = copy as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
  return root;
}
