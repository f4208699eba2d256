import { createRegistry } from '../../lib/registry';
import { collmStrategy } from './collm';
import { evolutionStrategy } from './evolution';
import { randomStrategy } from './random';
import { reinforceStrategy } from './reinforce';
import type { StrategyPlugin } from './types';

export type { Strategy, StrategyPlugin, StrategySetup, ProposeContext, ObserveContext, Proposal } from './types';

/** Every strategy by the name a search config gives as `strategy.name`. One line each. */
export const STRATEGIES = createRegistry<StrategyPlugin>('strategy', [
  randomStrategy,
  evolutionStrategy,
  collmStrategy,
  reinforceStrategy,
]);
