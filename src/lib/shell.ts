/** A value as one shell word, for commands printed for people to paste: bare when plainly safe, else single-quoted. */
export function shellWord(value: string): string {
  return /^[\w.:/@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
