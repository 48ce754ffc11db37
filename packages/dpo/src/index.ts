// @llmkit/dpo: Preference alignment: DPO-family losses, KTO, ORPO, SimPO, reference log-probs, rejection sampling, reward models and trainers.
// The public API is listed here by name as it lands.
export {};
