/**
 * Reads the LZW text (URL-safe base64) that packed evaluations of version 1
 * were written in (src/search/pack.ts). Searches now write version 2
 * (DEFLATE, src/lib/packed-text.ts), but runs started by an earlier release
 * carry version 1 in their continue-as-new input, and their histories must
 * still replay and report; so the decoder stays, and the encoder is gone.
 *
 * Phrases are built from bytes (code units below 256); a wider code unit was
 * written on its own as an escape and 16 bits. Each code is sized by the
 * decoder's dictionary, which trailed the encoder's by the one entry the
 * decoder can only complete on reading the next code.
 */

const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const WIDE = 256;
const END = 257;
const FIRST_CODE = 258;

const bitLength = (n: number): number => 32 - Math.clz32(n);

const VALUE = new Map([...DIGITS].map((d, i) => [d, i]));

export function lzwDecompress(packed: string): string {
  let pos = 0;
  let acc = 0;
  let bits = 0;
  const read = (width: number): number => {
    if (width > 24) {
      const low = read(12);
      return low + read(width - 12) * 0x1000;
    }
    while (bits < width) {
      const digit = VALUE.get(packed[pos++] ?? '');
      if (digit === undefined) throw new Error(`lzw: ${pos > packed.length ? 'text ends early' : `bad character at ${pos - 1}`}`);
      acc |= digit << bits;
      bits += 6;
    }
    const value = acc & ((1 << width) - 1);
    acc >>>= width;
    bits -= width;
    return value;
  };
  const entries: string[] = [];
  const out: string[] = [];
  let previous: string | undefined;
  for (;;) {
    const code = read(bitLength(FIRST_CODE + entries.length));
    if (code === END) break;
    if (code === WIDE) {
      out.push(String.fromCharCode(read(16)));
      previous = undefined;
      continue;
    }
    let entry: string;
    if (code < 256) entry = String.fromCharCode(code);
    else if (code - FIRST_CODE < entries.length) entry = entries[code - FIRST_CODE]!;
    else if (code - FIRST_CODE === entries.length && previous !== undefined) entry = previous + previous[0]!;
    else throw new Error(`lzw: bad code ${code}`);
    out.push(entry);
    if (previous !== undefined) entries.push(previous + entry[0]!);
    previous = entry;
  }
  return out.join('');
}
