/**
 * LZW compression of a string to URL-safe base64 text and back: pure code
 * (no Node built-ins), so a workflow can shrink what it carries across
 * continue-as-new, and exact for any string, lone surrogates included.
 *
 * Phrases are built from bytes (code units below 256); a wider code unit is
 * written on its own as an escape and 16 bits. Both sides size each code by
 * the decoder's dictionary, which trails the encoder's by the one entry the
 * decoder can only complete on reading the next code.
 */

const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const WIDE = 256;
const END = 257;
const FIRST_CODE = 258;

const bitLength = (n: number): number => 32 - Math.clz32(n);

export function compress(text: string): string {
  const out: string[] = [];
  let acc = 0;
  let bits = 0;
  const write = (value: number, width: number): void => {
    // Bits pending plus a code stay within 31 bits: codes wider than 24 bits go in two parts.
    if (width > 24) {
      write(value & 0xfff, 12);
      write(Math.floor(value / 0x1000), width - 12);
      return;
    }
    acc |= value << bits;
    bits += width;
    while (bits >= 6) {
      out.push(DIGITS[acc & 63]!);
      acc >>>= 6;
      bits -= 6;
    }
  };
  // Phrase extensions: (phrase code * 256 + byte) -> code.
  const extensions = new Map<number, number>();
  let next = FIRST_CODE;
  // The entry added after the last code written, which the decoder adds only once it reads the next one.
  let pending = 0;
  const emit = (code: number): void => write(code, bitLength(next - pending));
  let phrase = -1;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit > 255) {
      if (phrase >= 0) {
        emit(phrase);
        pending = 0;
        phrase = -1;
      }
      emit(WIDE);
      write(unit, 16);
      continue;
    }
    if (phrase >= 0) {
      const key = phrase * 256 + unit;
      const known = extensions.get(key);
      if (known !== undefined) {
        phrase = known;
        continue;
      }
      emit(phrase);
      extensions.set(key, next++);
      pending = 1;
    }
    phrase = unit;
  }
  if (phrase >= 0) {
    emit(phrase);
    pending = 0;
  }
  emit(END);
  if (bits > 0) out.push(DIGITS[acc]!);
  return out.join('');
}

const VALUE = new Map([...DIGITS].map((d, i) => [d, i]));

export function decompress(packed: string): string {
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
