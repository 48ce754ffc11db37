// @llmkit/security: prompt-injection and jailbreak detection, de-obfuscation, canaries,
// PII and secret detection/redaction, output scanners, guard middleware, red-team runner,
// dataset backdoor scan. The public API is listed here by name.

// Errors
export { SecurityOptionError, SecurityModelError, GuardBlockedError, SecurityDataError } from './errors/index.js';

// Normalisation / de-obfuscation
export { normalize, squash, englishScore, type NormalizeResult, type NormalizeSignal, type NormalizeOptions, type SignalType } from './normalize/normalize.js';
export { CONFUSABLES } from './normalize/confusables.js';

// Injection and jailbreak detection
export { SIGNATURES, registerSignature, type Signature, type SignatureCategory } from './injection/signatures.js';
export { matchSignatures, signatureScore, obfuscationScore, noisyOr, SIGNAL_WEIGHTS, type SignatureMatch } from './injection/heuristics.js';
export { extractFeatures, type SparseFeatures } from './injection/features.js';
export {
  InjectionClassifier,
  defaultInjectionClassifier,
  trainInjectionClassifier,
  type SerializedClassifier,
  type LabeledText,
  type TrainClassifierOptions,
} from './injection/classifier.js';
export {
  detectInjection,
  detectInjectionSync,
  DEFAULT_INJECTION_THRESHOLD,
  type DetectInjectionOptions,
  type InjectionResult,
  type InjectionLayer,
  type InjectionLayerResult,
} from './injection/detect.js';
export { calibrateThreshold, rocCurve, type Calibration, type RocPoint } from './injection/calibrate.js';
export { profileSystemPrompt, matchSystemPrompt, systemPromptScore, type SystemPromptProfile, type SystemPromptFinding } from './injection/system-prompt.js';
export { OnnxInjectionClassifier, type OnnxClassifierOptions } from './injection/onnx-layer.js';
export { LlmJudge, JUDGE_PROMPT } from './injection/llm-judge.js';
export { AttackMemory } from './injection/attack-memory.js';

// Canaries and leakage
export { createCanary, addCanary, detectCanaryLeak, detectPromptLeak, type Canary, type CanaryOptions, type CanaryLeak, type PromptLeak } from './canary/canary.js';

// PII and secrets
export { scanPii, registerPiiRecognizer, resolveOverlaps, PII_RECOGNIZERS, type PiiFinding, type PiiRecognizer, type ScanPiiOptions } from './pii/scan-pii.js';
export { scanSecrets, SECRET_RECOGNIZERS } from './pii/secrets.js';
export { redact, Vault, randomHashKey, type RedactOptions, type RedactionMode } from './pii/redact.js';
export {
  luhnValid,
  ibanValid,
  IBAN_LENGTHS,
  ssnValid,
  ipv4Valid,
  ipv6Valid,
  base58checkValid,
  bech32Valid,
  ethAddressValid,
  keccak256,
  shannonEntropy,
  githubTokenValid,
  crc32,
  base62,
} from './pii/validators.js';

// Output scanners
export { scanOutput, scanMarkdownExfiltration, scanUrls, scanCode, isRefusal, hostAllowed, type OutputFinding, type ScanOutputOptions } from './output/scanners.js';

// Guard middleware
export { guard, type GuardPolicy, type GuardedModel, type Incident, type RailAction } from './guard/guard.js';

// Red-team runner
export { RedTeam, redTeamHtml, type RedTeamOptions, type RedTeamReport, type RedTeamFunction, type AttemptResult, type RateRow } from './redteam/redteam.js';
export { PROBES, registerProbe, type Probe, type ProbeAttempt, type DetectorName } from './redteam/probes.js';

// Dataset scan
export { scanDataset, type DatasetRecord, type DatasetScanReport, type ScanDatasetOptions, type TriggerCandidate } from './dataset/scan-dataset.js';
export { MinHash, shingles, jaccard, lshPairs } from './dataset/minhash.js';
