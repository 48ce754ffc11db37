/**
 * Chat in the terminal with a local Hugging Face checkpoint: `DecoderLM.fromPretrained(dir)` reads
 * config.json, model.safetensors, tokenizer.json and tokenizer_config.json (its Jinja chat template);
 * `LocalLanguageModel` applies the template to the conversation and streams the reply token by token.
 *
 * Without `--model`, a tiny Llama is built and saved first so the example still runs offline; it has
 * RANDOM weights by default (or `--pretrain-steps N` steps on Moby Dick), so its replies are gibberish:
 * point `--model` at a real chat checkpoint (e.g. SmolLM2-135M-Instruct, downloaded yourself) for real answers.
 *
 *   npm run start -- [--model DIR] [--system TEXT] [--prompt TEXT] [--max-new-tokens 64] [--temperature 0.7] [--pretrain-steps 0]
 *
 * Commands in the chat: /reset clears the history, /exit (or Ctrl-D) quits.
 */
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import type { ChatMessage } from '@llmkit/core';
import { LocalLanguageModel } from '@llmkit/model';
import { loadLocalModel } from '@llmkit/example-shared';

export interface ChatOptions {
  /** Hugging Face model folder; default: the tiny Moby Dick Llama built under .cache/. */
  modelDir?: string;
  /** Pretraining steps of the tiny fallback model. Default 0 (random weights). */
  pretrainSteps?: number;
  cacheDir?: string;
  system?: string;
  /** One message, answered without the interactive loop. */
  prompt?: string;
  maxNewTokens?: number;
  temperature?: number;
  seed?: number;
  /** Where user lines come from. Default process.stdin. */
  input?: Readable;
  /** Where the replies are streamed. Default process.stdout. */
  output?: Writable;
  log?: (line: string) => void;
}

export interface ChatResult {
  modelDir: string;
  tiny: boolean;
  /** The conversation, system message included. */
  messages: ChatMessage[];
}

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));

export async function runChat(options: ChatOptions = {}): Promise<ChatResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const output = options.output ?? process.stdout;
  const { model, dir, tiny } = await loadLocalModel({
    modelDir: options.modelDir,
    cacheDir: options.cacheDir ?? join(EXAMPLE_DIR, '.cache'),
    steps: options.pretrainSteps ?? 0,
    log,
  });
  const lm = new LocalLanguageModel({ model });
  const template = model.tokenizerConfig?.chat_template;
  log(typeof template === 'string' ? `chat template: from ${dir}/tokenizer_config.json` : 'chat template: none in tokenizer_config.json, using the plain fallback of LocalLanguageModel');
  const messages: ChatMessage[] = [];
  if (options.system) messages.push({ role: 'system', content: options.system });
  const settings = { maxNewTokens: options.maxNewTokens ?? 64, temperature: options.temperature ?? 0.7, seed: options.seed ?? 1 };

  const answer = async (text: string): Promise<void> => {
    messages.push({ role: 'user', content: text });
    output.write('assistant> ');
    let reply = '';
    for await (const chunk of lm.generate(messages, settings)) {
      output.write(chunk.text);
      reply += chunk.text;
    }
    output.write('\n');
    messages.push({ role: 'assistant', content: reply });
  };

  try {
    if (options.prompt !== undefined) {
      await answer(options.prompt);
    } else {
      log('type a message; /reset clears the history, /exit quits');
      const rl = createInterface({ input: options.input ?? process.stdin, terminal: false });
      output.write('you> ');
      for await (const line of rl) {
        const text = line.trim();
        if (text === '/exit' || text === '/quit') break;
        if (text === '/reset') {
          messages.splice(options.system ? 1 : 0);
          log('(history cleared)');
        } else if (text !== '') {
          await answer(text);
        }
        output.write('you> ');
      }
      rl.close();
      output.write('\n');
    }
  } finally {
    model.dispose();
  }
  return { modelDir: dir, tiny, messages };
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const num = (name: string) => (flag(args, name) === undefined ? undefined : Number(flag(args, name)));
  await runChat({
    modelDir: flag(args, '--model') ?? args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1]!.startsWith('--'))),
    system: flag(args, '--system'),
    prompt: flag(args, '--prompt'),
    maxNewTokens: num('--max-new-tokens'),
    temperature: num('--temperature'),
    pretrainSteps: num('--pretrain-steps'),
  });
}
