/**
 * Numbers as the shared table writes them: Python's '%.6f' with trailing
 * zeros (and a bare point) dropped. Both that and toFixed round the exact
 * binary value, so they agree except on exact ties, which Python rounds to
 * even and toFixed away from zero (HELP's 9.8828125 is 9.882812 in the
 * table); ties are therefore rounded here by hand.
 */
export function fixed6(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  return trimZeros(isTie(x) ? halfEven(x) : x.toFixed(6));
}

/**
 * x lies exactly halfway between two 6-decimal numbers iff x = (2k+1)/(2*10^6);
 * as x is a binary fraction, 5^6 must divide 2k+1, which leaves x = odd/128.
 * Scaling by 128 is exact in floating point.
 */
function isTie(x: number): boolean {
  const y = x * 128;
  return Number.isInteger(y) && Math.abs(y % 2) === 1;
}

/** Rounds a tie to the even last digit, in integers: |x| * 10^6 = odd * 15625 / 2. */
function halfEven(x: number): string {
  const twice = BigInt(Math.abs(x) * 128) * 15625n;
  let n = (twice - 1n) / 2n;
  if (n % 2n === 1n) n += 1n;
  const digits = n.toString().padStart(7, '0');
  return `${x < 0 ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

function trimZeros(s: string): string {
  return s.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** One CSV file's text: no field of these tables holds a comma or a quote. */
export function csvText(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((cells) => cells.join(',')).join('\n') + '\n';
}
