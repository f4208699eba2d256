import { MAX_METRIC_NAME, MAX_METRICS } from '../contract';
import { displayLines } from './tail';

/**
 * The program's answer: the last non-empty line of its stdout, one JSON
 * object. Everything else it prints is free (progress, warnings) and ends up
 * in the log. What is wrong with the answer decides whether the search goes
 * on, so each problem says whether another attempt could help.
 */

export const OUTPUT_FORMAT =
  'the last non-empty line of stdout must be one JSON object such as ' +
  '{"valAcc": 76.4, "testAcc": 76.1, "flopsM": 230, "paramsM": 5.6, "latencyMs": 21.3}: ' +
  'valAcc (validation accuracy in percent, 0-100) is required; testAcc, flopsM, paramsM, latencyMs and any other numeric fields are optional';

export interface ProgramMetrics {
  valAcc: number;
  testAcc?: number;
  flopsM?: number;
  paramsM?: number;
  latencyMs?: number;
  /** Other numeric fields, at most MAX_METRICS of them (the contract's bound), names cut to MAX_METRIC_NAME. */
  metrics: Record<string, number>;
  /** Other fields that were NaN or Infinity, left out of `metrics`. */
  nonFinite: string[];
  /** How many more numeric fields there were than MAX_METRICS (left out, in the program's order). */
  metricsLeftOut: number;
}


/**
 * Why the answer was refused. `retryable` follows from whose fault it is:
 *
 * - A missing, unparsable or mis-shaped answer is the program breaking the
 *   contract. That does not depend on the candidate, so it would happen for
 *   every one; and a candidate that fails after its retries is dropped
 *   without counting towards the budget, so a retryable error would keep a
 *   multi-day search burning GPU hours on retries of a broken program,
 *   forever. Not retryable: the search ends at the first one, with this
 *   message, at the cost of one evaluation.
 * - NaN or Infinity where a number is required (Python's json.dumps writes
 *   them for float('nan')) is this candidate's problem: a subnet whose
 *   batch norm diverged. The program works; retryable, so after the retry
 *   limit only this candidate is dropped and the search goes on.
 */
export class OutputProblem extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'OutputProblem';
  }
}

const NON_FINITE = '\u0000non-finite';

/**
 * JSON.parse that also reads Python's NaN, Infinity and -Infinity (outside
 * strings) as a marker string, so that they can be told apart from a
 * malformed line.
 */
function parseLenient(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    // Fall through to the Python tokens.
  }
  let out = '';
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += line[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    const token = /^(?:-?Infinity|NaN)/.exec(line.slice(i))?.[0];
    if (token) {
      out += JSON.stringify(`${NON_FINITE}:${token}`);
      i += token.length - 1;
    } else {
      out += c;
    }
  }
  return JSON.parse(out); // throws when the line is not JSON even so
}

function quote(line: string): string {
  return JSON.stringify(line.length > 300 ? `${line.slice(0, 300)}…` : line);
}

const isNonFinite = (v: unknown): v is string => typeof v === 'string' && v.startsWith(NON_FINITE);
const CORE = ['valAcc', 'testAcc', 'flopsM', 'paramsM', 'latencyMs'] as const;

/** One of the known fields, checked; undefined when absent (or null: "not measured"). */
function field(obj: Record<string, unknown>, name: (typeof CORE)[number], line: string): number | undefined {
  const v = obj[name];
  if (v === undefined || (v === null && name !== 'valAcc')) return undefined;
  if (isNonFinite(v)) {
    throw new OutputProblem(`reported ${name} = ${v.slice(NON_FINITE.length + 1)} for this candidate in ${quote(line)}`, true);
  }
  if (typeof v === 'number' && !Number.isFinite(v)) {
    // JSON's 1e999 parses as Infinity: this candidate's number overflowed, as NaN is this candidate's.
    throw new OutputProblem(`reported ${name} beyond any finite number (${v > 0 ? '' : '-'}1e309 or more) for this candidate in ${quote(line)}`, true);
  }
  if (typeof v !== 'number') {
    throw new OutputProblem(`${name} must be a number, got ${JSON.stringify(v)} in ${quote(line)}; ${OUTPUT_FORMAT}`, false);
  }
  const percent = name === 'valAcc' || name === 'testAcc';
  if (percent && (v < 0 || v > 100)) {
    throw new OutputProblem(`${name} must be a percentage from 0 to 100, got ${v} in ${quote(line)} (a fraction such as 0.764 is 76.4); ${OUTPUT_FORMAT}`, false);
  }
  if (!percent && v < 0) throw new OutputProblem(`${name} must not be negative, got ${v} in ${quote(line)}; ${OUTPUT_FORMAT}`, false);
  return v;
}

/**
 * The metrics in stdout's last non-empty line, and the lines before it (for
 * the log). `truncated`: stdout's start was dropped, so its first line may
 * be partial.
 */
export function parseProgramOutput(stdout: string, truncated = false): { metrics: ProgramMetrics; otherLines: string[] } {
  const lines = displayLines(stdout);
  if (truncated && lines.length === 1) {
    // What was kept of stdout is all one line: its end, with no newline in the last characters kept.
    throw new OutputProblem(
      `its last line of stdout is longer than the ${stdout.length} characters kept, so it cannot be the metrics line (it ends ${quote(stdout.slice(-120))}); ${OUTPUT_FORMAT}`,
      false,
    );
  }
  if (truncated) lines.shift();
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.trim() === '') last--;
  if (last < 0) throw new OutputProblem(`printed nothing on stdout; ${OUTPUT_FORMAT}`, false);
  const line = lines[last]!.trim();
  const otherLines = lines.slice(0, last);

  let parsed: unknown;
  try {
    parsed = parseLenient(line);
  } catch {
    throw new OutputProblem(`the last line of stdout is not JSON: ${quote(line)}; ${OUTPUT_FORMAT}`, false);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OutputProblem(`the last line of stdout is JSON but not an object: ${quote(line)}; ${OUTPUT_FORMAT}`, false);
  }
  const obj = parsed as Record<string, unknown>;
  if (!('valAcc' in obj)) throw new OutputProblem(`the last line of stdout has no valAcc: ${quote(line)}; ${OUTPUT_FORMAT}`, false);

  const valAcc = field(obj, 'valAcc', line)!;
  const extra = Object.entries(obj).filter(([k]) => !(CORE as readonly string[]).includes(k));
  const numeric = extra.filter(([, v]) => typeof v === 'number' && Number.isFinite(v)) as [string, number][];
  const kept = new Map<string, number>();
  for (const [k, v] of numeric) {
    const name = k.slice(0, MAX_METRIC_NAME);
    if (kept.size < MAX_METRICS || kept.has(name)) kept.set(name, v);
  }
  const metrics: ProgramMetrics = {
    valAcc,
    metrics: Object.fromEntries(kept),
    nonFinite: extra.filter(([, v]) => isNonFinite(v) || (typeof v === 'number' && !Number.isFinite(v))).map(([k]) => k.slice(0, MAX_METRIC_NAME)),
    metricsLeftOut: numeric.length - kept.size,
  };
  for (const name of ['testAcc', 'flopsM', 'paramsM', 'latencyMs'] as const) {
    const v = field(obj, name, line);
    if (v !== undefined) metrics[name] = v;
  }
  return { metrics, otherLines };
}
