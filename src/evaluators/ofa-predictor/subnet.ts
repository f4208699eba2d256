import { ArchitectureError } from '../../spaces/types';
import { checkOfaArch, EXPAND_RATIOS, KERNEL_SIZES, SLOT_COUNT, slotActive, type OfaArch } from '../../spaces/ofa-mbv3';

/**
 * The OFA MobileNetV3 subnet as this evaluator reads it: the search space's
 * own representation and legality (src/spaces/ofa-mbv3), so the evaluator and
 * the space can never disagree on what a subnet is.
 */
export type OfaSubnet = OfaArch;

export const OFA_SLOTS = SLOT_COUNT;
export const OFA_KERNELS: readonly number[] = KERNEL_SIZES;
export const OFA_EXPANDS: readonly number[] = EXPAND_RATIOS;
export const isActiveSlot = slotActive;

/** Not a subnet of the supernet (or outside what this evaluator can score): no retry can help. */
export class OfaSubnetError extends ArchitectureError {}

/** Checks the subnet's structure at any resolution; throws OfaSubnetError naming the fields. */
export function checkOfaSubnet(arch: OfaSubnet): void {
  try {
    checkOfaArch(arch, 'any');
  } catch (err) {
    if (err instanceof ArchitectureError) throw new OfaSubnetError(`OFA subnet: ${err.message}`, err.where);
    throw err;
  }
}
