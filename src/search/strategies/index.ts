import type { StrategyConfig } from '../config';
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
  }
}
