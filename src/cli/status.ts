/**
 * A search run's status as the CLI prints it, in lowercase words like the
 * rest of its output ("completed", "timed-out"), from Temporal's name
 * (COMPLETED, TIMED_OUT). --json keeps Temporal's names, which scripts match.
 */
export function statusText(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}
