// @llmkit/lora: LoRA, QLoRA, rsLoRA and DoRA adapters in PEFT format, merge/unmerge, and an SFT trainer.
// The public API is listed here by name as it lands.
export {};
