/**
 * Bounded text buffers for a child's output. A multi-day search runs
 * thousands of programs, some of which print a progress bar per batch; only
 * the end of what they print is ever needed (the metrics line, the last
 * lines of a traceback), so nothing here grows without bound.
 */

/** Keeps the last `max` characters written to it; the child's pipes are still read to the end. */
export class TailBuffer {
  private chunks: string[] = [];
  private length = 0;
  /** True once something was dropped from the front. */
  truncated = false;

  constructor(readonly max: number) {}

  write(text: string): void {
    this.chunks.push(text);
    this.length += text.length;
    if (this.length > this.max * 2) this.compact();
  }

  toString(): string {
    this.compact();
    return this.chunks.join('');
  }

  // Joining on every write would be quadratic for chatty programs: compact only past twice the limit.
  private compact(): void {
    if (this.length <= this.max) return;
    const text = this.chunks.join('').slice(-this.max);
    this.chunks = [text];
    this.length = text.length;
    this.truncated = true;
  }
}

/**
 * Lines as a terminal would show them: a progress bar (tqdm) redraws one
 * line with carriage returns, so only the text after the last '\r' of each
 * line is kept. Otherwise a 4 KB tail could be nothing but one bar's redraws.
 */
export function displayLines(text: string): string[] {
  return text.split('\n').map((line) => {
    const trimmed = line.replace(/\r+$/, '');
    const cr = trimmed.lastIndexOf('\r');
    return cr === -1 ? trimmed : trimmed.slice(cr + 1);
  });
}

/** The last `max` characters of some lines, cut at a line start where possible, marked when cut. */
export function tailOf(lines: readonly string[], max: number): string {
  const text = lines.join('\n').replace(/^\n+|\n+$/g, '');
  if (text.length <= max) return text;
  const cut = text.slice(-(max - 2));
  const nl = cut.indexOf('\n');
  // Drop a partial first line unless that would drop almost everything.
  const body = nl !== -1 && nl < cut.length / 2 ? cut.slice(nl + 1) : cut;
  return `…\n${body}`;
}

/** Most of a result's `log` goes to stderr, where tracebacks and warnings are; stdout's chatter gets at most a quarter. */
export const LOG_MAX = 4096;

/**
 * The `log` of a result or the detail of an error: the tail of stdout's
 * lines other than the metrics line, then the tail of stderr, at most `max`
 * characters in all. Undefined when the program printed nothing else.
 */
export function formatLog(stdoutLines: readonly string[], stderr: string, max = LOG_MAX): string | undefined {
  const errLines = displayLines(stderr).filter((l) => l.trim() !== '');
  const outLines = stdoutLines.filter((l) => l.trim() !== '');
  const outPart = outLines.length > 0 ? `[stdout]\n${tailOf(outLines, Math.floor(max / 4))}` : '';
  const room = max - outPart.length - (outPart ? 1 : 0) - '[stderr]\n'.length;
  const errPart = errLines.length > 0 ? `[stderr]\n${tailOf(errLines, room)}` : '';
  const log = [outPart, errPart].filter(Boolean).join('\n');
  return log === '' ? undefined : log;
}
