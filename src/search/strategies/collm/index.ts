import type { StrategyPlugin } from '../types';
import { DEFAULT_PROMPT_VERSION, PROMPTS } from '../../../prompts';
import { editable } from './edit';
import { collmOptions, type CollmOptions } from './options';
import { createCollm } from './strategy';

export { collmOptions, type CollmOptions } from './options';
export { initCollm, type Collm, type CollmState, type CollmStats } from './state';
export { acceptNavigator, acceptSummary, navigatorCall, summaryCall } from './navigator';
export { evaluationWindow, generatorCall, rememberGenerator, retryCall, type GeneratorTurn } from './generator';
export { applyEdit, editSchema } from './edit';
export { conversationBudget, generatorMaxTokens, generatorPromptLimits, generatorSchema } from './context';
export { checkGenerated, type Checked } from './answers';
export { fillWithMutations } from './fill';

/** CoLLM-NAS: a Navigator LLM writes the strategy, a Generator LLM the candidates, the Coordinator checks them. */
export const collmStrategy: StrategyPlugin<CollmOptions> = {
  name: 'collm',
  description: 'CoLLM-NAS: a Navigator LLM plans, a Generator LLM writes candidates, deterministic code checks them',
  options: collmOptions,
  llmRoles: ['navigator', 'generator'],
  llmRankPoolOption: 'rankPool',
  unsupported: (space, options) => {
    const p = PROMPTS[options.promptVersion ?? DEFAULT_PROMPT_VERSION];
    if ((options.rankPool ?? 0) > 0 && !p?.rankUser) return `strategy.rankPool: prompts ${options.promptVersion} cannot rank; use collm-v2 or later`;
    if (options.generatorMode !== 'edit') return undefined;
    if (!p?.generatorEditUser) return `strategy.generatorMode: prompts ${options.promptVersion} have no edit mode; use collm-v2 or later`;
    return editable(space);
  },
  create: createCollm,
};
