import type { StrategyPlugin } from '../strategies/types';
import { collmOptions, type CollmOptions } from './options';
import { createCollm } from './strategy';

export { collmOptions, type CollmOptions } from './options';
export { initCollm, type Collm, type CollmState, type CollmStats } from './state';
export { acceptNavigator, acceptSummary, navigatorCall, summaryCall } from './navigator';
export { generatorCall, rememberGenerator, retryCall } from './generator';
export { conversationBudget, generatorMaxTokens, generatorPromptLimits, generatorSchema } from './context';
export { checkGenerated, type Checked } from './answers';
export { fillWithMutations } from './fill';

/** CoLLM-NAS: a Navigator LLM writes the strategy, a Generator LLM the candidates, the Coordinator checks them. */
export const collmStrategy: StrategyPlugin<CollmOptions> = {
  name: 'collm',
  description: 'CoLLM-NAS: a Navigator LLM plans, a Generator LLM writes candidates, deterministic code checks them',
  options: collmOptions,
  llmRoles: ['navigator', 'generator'],
  create: createCollm,
};
