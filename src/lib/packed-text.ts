import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';

/**
 * A string DEFLATE-compressed (fflate's synchronous API, pure JavaScript) and
 * written as URL-safe base64 without padding: plain ASCII, so it sits in a
 * JSON payload at one byte a character. Workflow code uses it, and the
 * workflow sandbox has neither Buffer nor btoa, hence the few lines of base64
 * here. JSON.stringify's output is well-formed (lone surrogates escaped), so
 * UTF-8 gives it back exactly.
 */

const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Map([...DIGITS].map((d, i) => [d.charCodeAt(0), i]));

export function deflateText(text: string): string {
  const bytes = deflateSync(strToU8(text), { level: 9 });
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    out.push(DIGITS[b0 >> 2]!, DIGITS[((b0 & 3) << 4) | ((b1 ?? 0) >> 4)]!);
    if (b1 !== undefined) out.push(DIGITS[((b1 & 15) << 2) | ((b2 ?? 0) >> 6)]!);
    if (b2 !== undefined) out.push(DIGITS[b2 & 63]!);
  }
  return out.join('');
}

export function inflateText(packed: string): string {
  // Four characters carry three bytes; a last group of one character cannot carry a byte.
  if (packed.length % 4 === 1) throw new Error(`packed text: length ${packed.length} is not base64's`);
  const bytes = new Uint8Array(Math.floor((packed.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < packed.length; i++) {
    const digit = VALUE.get(packed.charCodeAt(i));
    if (digit === undefined) throw new Error(`packed text: bad character at ${i}`);
    acc = ((acc << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[n++] = (acc >> bits) & 0xff;
    }
  }
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(bytes);
  } catch (err) {
    throw new Error(`packed text: ${(err as Error).message}`);
  }
  return strFromU8(inflated);
}
