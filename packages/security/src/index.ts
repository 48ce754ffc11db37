// @llmkit/security: LLM security: prompt-injection and jailbreak detection, de-obfuscation, canaries, PII and secret redaction, guard middleware, red-team runner.
// The public API is listed here by name as it lands.
export {};
