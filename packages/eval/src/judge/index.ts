export { parseVerdict, type Verdict, type ParseVerdictOptions } from './verdict.js';
export { cohenKappa, agreementRate } from './agreement.js';
export {
  judgeSingle,
  judgePairwise,
  singleJudgePrompt,
  pairwiseJudgePrompt,
  type SingleJudgeInput,
  type SingleJudgement,
  type PairwiseJudgeInput,
  type PairwiseJudgement,
  type JudgeOptions,
} from './judge.js';
