/**
 * What `collm-nas` exits with, so scripts can tell a typo from a dead server
 * from a failed search without reading the message.
 */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  noServer: 3,
  searchFailed: 4,
  nondeterministic: 5,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const MEANING: Record<keyof typeof EXIT, string> = {
  ok: 'success',
  error: 'error: the message says what went wrong and what to do',
  usage: 'usage error: unknown command or flag, missing or malformed value, invalid config field',
  noServer: 'no Temporal server answers at the address in use',
  searchFailed: 'search or schedule not found, search already finished (pause, resume, stop, steer, extend), or failed',
  nondeterministic: "replay: the history does not replay with today's workflow code",
  interrupted: 'interrupted (Ctrl-C); a watched search keeps running',
};

/** The table at the end of `collm-nas --help`. */
export function exitCodesHelp(): string {
  const rows = (Object.keys(EXIT) as (keyof typeof EXIT)[]).map((k) => `  ${String(EXIT[k]).padEnd(5)}${MEANING[k]}`);
  return ['Exit codes:', ...rows].join('\n');
}
