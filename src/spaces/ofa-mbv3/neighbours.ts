import type { Rng } from '../../lib/rng';
import { canonicalOfa, checkOfaArch, type OfaArch } from './arch';
import { DEPTHS, EXPAND_RATIOS, KERNEL_SIZES, SLOT_COUNT, STAGE_COUNT, slotActive, slotIndex } from './layout';

/**
 * Uniform over the space, like OFA's `sample_active_subnet`: each choice
 * drawn independently. Returned in canonical form (unused slots 0).
 */
export function sampleOfa(rng: Rng, resolutions: readonly number[]): OfaArch {
  const r = rng.pick(resolutions);
  const d = Array.from({ length: STAGE_COUNT }, () => rng.pick(DEPTHS) as number);
  const ks = Array.from({ length: SLOT_COUNT }, () => rng.pick(KERNEL_SIZES) as number);
  const e = Array.from({ length: SLOT_COUNT }, () => rng.pick(EXPAND_RATIOS) as number);
  return canonicalOfa({ r, d, ks, e });
}

/** One effective choice: the resolution, a stage's depth, or a used slot's kernel or expand ratio. */
type Move = { kind: 'r' } | { kind: 'd'; stage: number } | { kind: 'ks' | 'e'; slot: number };

function moves(arch: OfaArch, resolutions: readonly number[]): Move[] {
  const out: Move[] = [];
  // A one-resolution space has no resolution move (there is no other value).
  if (resolutions.some((r) => r !== arch.r)) out.push({ kind: 'r' });
  for (let stage = 0; stage < STAGE_COUNT; stage++) out.push({ kind: 'd', stage });
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (slotActive(arch.d, slot)) out.push({ kind: 'ks', slot }, { kind: 'e', slot });
  }
  return out;
}

/**
 * A neighbour differing in exactly one effective choice, the move picked
 * uniformly among all of them, so that each of the (up to 41) choices is
 * equally likely to change, as in OFA's evolutionary search where every
 * gene mutates with one probability. A deeper stage gets its new blocks from
 * the slots' old values where they are legal (so shrinking then growing a
 * stage restores it), otherwise at random.
 */
export function mutateOfa(arch: OfaArch, rng: Rng, resolutions: readonly number[]): OfaArch {
  const parent = checkOfaArch(arch, resolutions);
  const child: OfaArch = { r: parent.r, d: parent.d.slice(), ks: parent.ks.slice(), e: parent.e.slice() };
  const move = rng.pick(moves(parent, resolutions));
  const other = <T extends number>(values: readonly T[], current: number): number => rng.pick(values.filter((v) => v !== current));
  switch (move.kind) {
    case 'r':
      child.r = other(resolutions, parent.r);
      break;
    case 'd': {
      const depth = other(DEPTHS, parent.d[move.stage]!);
      child.d[move.stage] = depth;
      for (let b = parent.d[move.stage]!; b < depth; b++) {
        const i = slotIndex(move.stage, b);
        if (!(KERNEL_SIZES as readonly number[]).includes(child.ks[i]!)) child.ks[i] = rng.pick(KERNEL_SIZES);
        if (!(EXPAND_RATIOS as readonly number[]).includes(child.e[i]!)) child.e[i] = rng.pick(EXPAND_RATIOS);
      }
      break;
    }
    case 'ks':
      child.ks[move.slot] = other(KERNEL_SIZES, parent.ks[move.slot]!);
      break;
    case 'e':
      child.e[move.slot] = other(EXPAND_RATIOS, parent.e[move.slot]!);
      break;
  }
  return canonicalOfa(child);
}
