// @llmkit/tokenizer: Tokenizers: tiktoken-compatible and Hugging Face byte-level BPE, WordPiece, Unigram, tokenizer.json loading, BPE training, special tokens, chat templates, streaming decode.
// The public API is listed here by name as it lands.
export {};
