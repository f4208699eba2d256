import { readFileSync } from 'node:fs';
import { forbiddenKeyMessage, isForbiddenKey } from '../lib/plain-json';

/**
 * A search config from a JSON file, with `--set path=value` overrides (the
 * value parsed as JSON when it parses, else kept as a string). Checking the
 * fields is the config layer's job; this only reads.
 */
export function loadConfig(file: string, sets: readonly string[] = []): Record<string, unknown> {
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
  for (const set of sets) applySet(config as Record<string, unknown>, set);
  return config as Record<string, unknown>;
}

function applySet(config: Record<string, unknown>, set: string): void {
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
  let node: Record<string, unknown> = config;
  for (const key of path.slice(0, -1)) {
    if (!Object.hasOwn(node, key) || typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
