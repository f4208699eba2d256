import type { Cost } from '../spaces/types';
import type { Constraint } from './types';

/** Whether a cost meets the constraint; unknown metrics (e.g. latency before evaluation) pass. */
export function meetsConstraint(cost: Cost, constraint: Constraint | undefined): boolean {
  if (!constraint) return true;
  const value =
    constraint.metric === 'flops' ? cost.flopsM : constraint.metric === 'params' ? cost.paramsM : cost.latencyMs;
  return value === undefined || value <= constraint.max;
}
