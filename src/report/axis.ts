/**
 * Where an accuracy axis starts. A search's architectures mostly score in a
 * narrow band (85-92 % on CIFAR-10), but a few that cannot learn score near
 * chance (10 %); an axis from the lowest value would squeeze the band that
 * matters into a sliver. Such far-off values are left below the axis, and
 * the chart marks each on its floor, so none is hidden.
 */

export interface AxisFocus {
  /** The axis's lowest value. */
  min: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** A round number at or below `value`, at the scale of `span`. */
function roundDown(value: number, span: number): number {
  const unit = 10 ** Math.floor(Math.log10(span / 2));
  // toPrecision: 84 * 0.01 is 0.8400000000000001.
  return Number((Math.floor(value / unit) * unit).toPrecision(12));
}

/**
 * The axis's start, or undefined when every value fits well without one (the
 * charting library's own choice is then right). Values below Tukey's far-out
 * fence (first quartile less three interquartile ranges) are left out only
 * when the rest would otherwise fill less than a third of the axis.
 */
export function focusAxis(values: readonly number[]): AxisFocus | undefined {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length < 4) return undefined;
  const lowest = sorted[0]!;
  const highest = sorted[sorted.length - 1]!;
  const q1 = quantile(sorted, 0.25);
  const spread = Math.max(quantile(sorted, 0.75) - q1, (highest - q1) / 4);
  const fence = q1 - 3 * spread;
  const kept = sorted.find((v) => v >= fence)!;
  // Nothing far off, a band with no width to show, or one that fills the axis anyway.
  if (kept === lowest || kept === highest || (highest - kept) * 3 > highest - lowest) return undefined;
  const span = highest - kept;
  return { min: roundDown(kept - span * 0.1, span) };
}
