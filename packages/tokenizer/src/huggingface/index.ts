/**
 * Hugging Face tokenizer.json support: `fromHuggingFace(jsonOrPath, config?)` returns a
 * {@link HuggingFaceTokenizer} (the shared `Tokenizer` interface plus `toHuggingFaceJSON()`).
 *
 * Pipeline, as in HF `tokenizers`: added tokens split first (leftmost-longest; `special`, `lstrip`,
 * `rstrip`, `single_word`, `normalized`), then normalizer, pre-tokenizer, model, post-processor;
 * decode through the decoder chain. Every component is chosen by its JSON `type` from a registry:
 * - models: BPE (byte-level; SentencePiece-style `byte_fallback`; merges `"a b"` or `["a","b"]`;
 *   `ignore_merges`; `continuing_subword_prefix` / `end_of_word_suffix`; `unk_token`, `fuse_unk`;
 *   `dropout` ignored at inference), WordPiece, Unigram (Viterbi, `byte_fallback`, unk fusing), WordLevel;
 * - normalizers: NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend,
 *   BertNormalizer, Precompiled (SentencePiece charsmap, darts-clone trie; not parity-tested: no
 *   fixture with a charsmap was available), Sequence;
 * - pre-tokenizers: ByteLevel, Split (all behaviors, `invert`, Oniguruma regex translated by
 *   {@link translateOnigurumaPattern}), Metaspace, Whitespace, WhitespaceSplit, BertPreTokenizer,
 *   Digits, Punctuation, CharDelimiterSplit, Sequence;
 * - post-processors: TemplateProcessing (single sequence), BertProcessing, RobertaProcessing,
 *   ByteLevel (offset trimming), Sequence;
 * - decoders: ByteLevel, Metaspace, WordPiece, BPEDecoder, ByteFallback, Fuse, Strip, Replace, Sequence.
 *
 * Offsets are UTF-16 spans into the input (HF reports code points; the parity tests convert).
 * Special tokens in the text are matched by default (HF behaviour, an injection risk for untrusted
 * text); `allowedSpecial: []` encodes them as ordinary text. Non-special added tokens always match.
 */
export { fromHuggingFace, HuggingFaceTokenizer, type HuggingFaceConfig } from './tokenizer.js';
export { translateOnigurumaPattern } from './regex.js';
