// @llmkit/dpo: Preference alignment: DPO-family losses, KTO, ORPO, SimPO, reference log-probs, rejection sampling, reward models and trainers.
// Every export is listed by name; internals stay private.
export { DpoError, type DpoErrorCode } from './errors.js';
export {
  preferenceLoss,
  getPreferenceLoss,
  PREFERENCE_LOSSES,
  PREFERENCE_LOSS_TYPES,
  type PreferenceLossType,
  type PreferenceLossInputs,
  type PreferenceLossOptions,
  type PreferenceLossResult,
  type PreferenceLossDefinition,
  type LogpsInput,
} from './losses.js';
export {
  readPreferenceJsonl,
  readKtoJsonl,
  parsePreferenceRecord,
  parseKtoRecord,
  extractPrompt,
  tokenizePreference,
  tokenizeKto,
  unpairPreferences,
  type PreferenceText,
  type PreferenceExample,
  type KtoExample,
  type ReadJsonlOptions,
  type TextEncoderLike,
  type TokenizeOptions,
  type TokenizedSequence,
  type TokenizedPair,
  type TokenizedKtoExample,
} from './data.js';
export { padSequences, completionLogps, sequenceLogpsArray, type CausalLM, type PaddedBatch, type CompletionLogps } from './logprobs.js';
export {
  copyReference,
  modelReference,
  adapterReference,
  loraReference,
  precomputeReferenceLogps,
  type ReferenceModel,
  type AdapterDisabler,
  type PrecomputeReferenceOptions,
} from './reference.js';
export {
  DPOTrainer,
  ORPOTrainer,
  KTOTrainer,
  type PolicyModel,
  type PreferenceLogRecord,
  type PreferenceTrainerBaseOptions,
  type PreferenceTrainResult,
  type PreferenceEvalResult,
  type DPOTrainerOptions,
  type ORPOTrainerOptions,
  type KTOTrainerOptions,
} from './trainer.js';
export {
  rejectionSample,
  sampleCompletions,
  type BatchStepFn,
  type SteppableModel,
  type CompletionSamplingOptions,
  type ScoredSample,
  type RejectionSampleOptions,
  type RejectionSampleResult,
} from './rejection-sampling.js';
export { RewardModel, trainRewardModel, rewardLoss, type RewardTrainingOptions, type RewardLogRecord } from './reward-model.js';
