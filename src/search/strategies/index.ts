import type { StrategyConfig } from '../config';
import { initCollm } from '../collm/coordinator';
import { regularizedEvolution } from './evolution';
import { randomSearch } from './random';
import type { Strategy } from './strategy';

export type { Strategy, ProposeContext, Proposal } from './strategy';

export function makeStrategy(config: StrategyConfig): Strategy<any, any> {
  switch (config.name) {
    case 'random':
      return randomSearch;
    case 'evolution':
      return regularizedEvolution(config);
    case 'collm':
      // The LLM strategy proposes through the workflow (it needs activities);
      // here it only owns its state, which results do not change.
      return { init: () => initCollm(config), propose: () => null, update: (state) => state };
  }
}
