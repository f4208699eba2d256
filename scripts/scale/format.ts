/** Number formats and the markdown table every part of the scale benchmark prints with. */
export const kb = (bytes: number): string => (bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0);
export const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
/** Bytes of a value as JSON: what a payload of it costs, before the converter's envelope. */
export const json = (x: unknown): number => Buffer.byteLength(JSON.stringify(x));

export function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
