// @llmkit/core: Tensor core: tfjs backend selection and kernel fixes, seeded RNG, Module and layers, optimizers, LR schedules, Trainer, safetensors I/O, errors and shared interfaces.
// The public API is listed here by name as it lands.
export {};
