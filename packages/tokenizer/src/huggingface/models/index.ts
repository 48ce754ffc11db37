/** Models, keyed by their tokenizer.json `type`. */
import { ComponentRegistry } from '../json.js';
import { BpeModel } from './bpe.js';
import type { Model } from './model.js';
import { UnigramModel, WordLevelModel, WordPieceModel } from './others.js';

export type { Model } from './model.js';
export const models = new ComponentRegistry<Model>('model');
models.register('BPE', (json, path) => BpeModel.fromJSON(json, path));
models.register('WordPiece', (json, path) => WordPieceModel.fromJSON(json, path));
models.register('WordLevel', (json, path) => WordLevelModel.fromJSON(json, path));
models.register('Unigram', (json, path) => UnigramModel.fromJSON(json, path));
