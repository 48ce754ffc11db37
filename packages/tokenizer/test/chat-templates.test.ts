import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { applyChatTemplate, BUILTIN_CHAT_TEMPLATES, type BuiltinChatTemplateName, type ChatMessage } from '../src/chat/index.js';
import { ChatTemplateError, InvalidArgumentError } from '../src/errors.js';
import { TiktokenDouble } from './streaming-tiktoken-double.js';

const require = createRequire(import.meta.url);

interface Fixture {
  model: string;
  name: string;
  messages: ChatMessage[];
  addGenerationPrompt?: boolean;
  continueFinalMessage?: boolean;
  tools?: object[] | null;
  extra?: Record<string, unknown>;
  expected?: string;
  error?: string;
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/chat/templates.json', import.meta.url), 'utf8')) as {
  transformers: string;
  cases: Fixture[];
  assistantMasks: Array<{ name: string; template: string; messages: ChatMessage[]; text: string; ids: number[]; assistantMask: number[] }>;
};

const configCache = new Map<string, Record<string, unknown>>();
function config(model: string): Record<string, unknown> {
  let c = configCache.get(model);
  if (!c) {
    const path = require.resolve(`@lenml/tokenizer-${model}/models/tokenizer_config.json`);
    c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    configCache.set(model, c);
  }
  return c;
}

const o200k = new TiktokenDouble('o200k_base');
afterAll(() => o200k.free());

describe(`real chat templates match transformers ${fixtures.transformers}`, () => {
  for (const fixture of fixtures.cases) {
    it(`${fixture.model}: ${fixture.name}`, () => {
      const run = () =>
        applyChatTemplate(fixture.messages, {
          tokenizerConfig: config(fixture.model),
          addGenerationPrompt: fixture.addGenerationPrompt ?? false,
          continueFinalMessage: fixture.continueFinalMessage ?? false,
          ...(fixture.tools ? { tools: fixture.tools } : {}),
          ...(fixture.extra ? { extra: fixture.extra } : {}),
        });
      if (fixture.error !== undefined) {
        expect(run).toThrow(ChatTemplateError);
        expect(run).toThrow(fixture.error);
      } else {
        expect(run()).toBe(fixture.expected);
      }
    });
  }

  it('covers at least 4 real templates', () => {
    expect(new Set(fixtures.cases.map((c) => c.model)).size).toBeGreaterThanOrEqual(4);
  });
});

describe('template selection and errors', () => {
  const messages: ChatMessage[] = [{ role: 'user', content: 'Hi' }];

  it('picks the named template from a list, "default" unless templateName is set', () => {
    const tokenizerConfig = {
      bos_token: { content: '<B>', lstrip: false },
      chat_template: [
        { name: 'default', template: '{{ bos_token }}{{ messages[0].content }}' },
        { name: 'tool_use', template: 'T:{{ messages[0].content }}' },
      ],
    };
    expect(applyChatTemplate(messages, { tokenizerConfig })).toBe('<B>Hi');
    expect(applyChatTemplate(messages, { tokenizerConfig, templateName: 'tool_use' })).toBe('T:Hi');
    expect(() => applyChatTemplate(messages, { tokenizerConfig, templateName: 'nope' })).toThrow(/tool_use/);
  });

  it('a config without chat_template says what to pass', () => {
    const run = () => applyChatTemplate(messages, { tokenizerConfig: config('llama2') });
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(/options\.template.*options\.builtin/);
    expect(() => applyChatTemplate(messages)).toThrow(InvalidArgumentError);
    // The config still supplies the special tokens to a builtin.
    expect(applyChatTemplate(messages, { tokenizerConfig: config('llama2'), builtin: 'mistral' })).toBe('<s>[INST] Hi[/INST]');
  });

  it('raise_exception becomes a ChatTemplateError with the template message', () => {
    const run = () => applyChatTemplate(messages, { template: "{{ raise_exception('no ' + messages[0].role + ' allowed') }}" });
    expect(run).toThrow(ChatTemplateError);
    expect(run).toThrow('no user allowed');
    try {
      run();
    } catch (e) {
      expect(ChatTemplateError.isInstance(e)).toBe(true);
      expect((e as ChatTemplateError).code).toBe('chat_template');
    }
  });

  it('a template that does not parse is a ChatTemplateError', () => {
    expect(() => applyChatTemplate(messages, { template: '{% for x in %}' })).toThrow(ChatTemplateError);
  });

  it('rejects continueFinalMessage with addGenerationPrompt', () => {
    expect(() => applyChatTemplate(messages, { builtin: 'chatml', continueFinalMessage: true, addGenerationPrompt: true })).toThrow(
      InvalidArgumentError,
    );
  });

  it('passes tools, documents, extra variables and strftime_now', () => {
    const template =
      "{{ tools | length }}|{{ documents[0].title }}|{{ flavour }}|{{ strftime_now('%Y') | length }}|{{ tools is none }}";
    expect(applyChatTemplate(messages, { template, tools: [{}, {}], documents: [{ title: 'Doc' }], extra: { flavour: 'x' } })).toBe(
      '2|Doc|x|4|false',
    );
    expect(applyChatTemplate(messages, { template: '{{ tools is none }}{{ documents is none }}' })).toBe('truetrue');
  });

  it('exposes core-style toolCallId as tool_call_id', () => {
    const out = applyChatTemplate([{ role: 'tool', content: '42', toolCallId: 'call_1' }], {
      template: '{{ messages[0].tool_call_id }}',
    });
    expect(out).toBe('call_1');
  });
});

describe('built-in templates', () => {
  const conversation: ChatMessage[] = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: ' Hello! ' },
    { role: 'user', content: 'Bye' },
  ];

  it('chatml', () => {
    expect(applyChatTemplate(conversation, { builtin: 'chatml', addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n Hello! <|im_end|>\n' +
        '<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('chatml equals the real Qwen3 template on plain conversations', () => {
    const qwen = applyChatTemplate(conversation, { tokenizerConfig: config('qwen3'), addGenerationPrompt: true });
    expect(applyChatTemplate(conversation, { builtin: 'chatml', addGenerationPrompt: true })).toBe(qwen);
  });

  it('llama3 equals the real Llama 3 template with a generation prompt', () => {
    const llama = applyChatTemplate(conversation, { tokenizerConfig: config('llama3'), addGenerationPrompt: true });
    expect(applyChatTemplate(conversation, { builtin: 'llama3', addGenerationPrompt: true })).toBe(llama);
    expect(applyChatTemplate(conversation, { builtin: 'llama3' })).toBe(
      llama.slice(0, -'<|start_header_id|>assistant<|end_header_id|>\n\n'.length),
    );
  });

  it('mistral (v0.3): system prepended to the last user turn, eos after assistant turns', () => {
    expect(applyChatTemplate(conversation, { builtin: 'mistral' })).toBe('<s>[INST] Hi[/INST] Hello!</s>[INST] Be brief.\n\nBye[/INST]');
    expect(() => applyChatTemplate([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }], { builtin: 'mistral' })).toThrow(
      /alternate/,
    );
    const tools = [{ type: 'function', function: { name: 'f', parameters: {} } }];
    expect(applyChatTemplate([{ role: 'user', content: 'q' }], { builtin: 'mistral', tools })).toBe(
      '<s>[AVAILABLE_TOOLS] [{"type": "function", "function": {"name": "f", "parameters": {}}}][/AVAILABLE_TOOLS][INST] q[/INST]',
    );
  });

  it('alpaca', () => {
    expect(applyChatTemplate(conversation.slice(1, 3), { builtin: 'alpaca', addGenerationPrompt: false })).toBe(
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nHi\n\n### Response:\n Hello! </s>\n\n',
    );
    expect(applyChatTemplate([conversation[0]!, conversation[1]!], { builtin: 'alpaca', addGenerationPrompt: true })).toBe(
      'Be brief.\n\n### Instruction:\nHi\n\n### Response:\n',
    );
  });

  it('every builtin is registered', () => {
    expect(Object.keys(BUILTIN_CHAT_TEMPLATES).sort()).toEqual(['alpaca', 'chatml', 'llama3', 'mistral']);
  });
});

describe('assistant masks', () => {
  for (const fx of fixtures.assistantMasks) {
    it(`{% generation %} blocks (${fx.name}) match transformers return_assistant_tokens_mask id for id`, () => {
      const out = applyChatTemplate(fx.messages, { template: fx.template, tokenizer: o200k, returnAssistantMask: true });
      expect(out.text).toBe(fx.text);
      expect(out.ids).toEqual(fx.ids);
      expect(out.assistantMask).toEqual(fx.assistantMask);
      // Rendering without a mask ignores the blocks and gives the same text.
      expect(applyChatTemplate(fx.messages, { template: fx.template })).toBe(fx.text);
    });
  }

  it('without generation blocks, prefix rendering finds the same spans', () => {
    const fx = fixtures.assistantMasks.find((c) => c.name === 'inline')!;
    const withBlocks = applyChatTemplate(fx.messages, { template: fx.template, tokenizer: o200k, returnAssistantMask: true });
    const plain = fx.template.replace(/\{% (end)?generation %\}/g, '');
    const byPrefix = applyChatTemplate(fx.messages, { template: plain, tokenizer: o200k, returnAssistantMask: true });
    // The prefix method also covers the newline after <|im_end|> that the generation block leaves out.
    expect(byPrefix.text).toBe(withBlocks.text);
    expect(byPrefix.assistantSpans.map(([s, e]) => [s, e - 1])).toEqual(withBlocks.assistantSpans);
    const decoded = byPrefix.assistantSpans.map(([s, e]) => byPrefix.text.slice(s, e));
    expect(decoded).toEqual(['Hi! / Bonjour ! 👋<|im_end|>\n', 'こんにちは<|im_end|>\n']);
  });

  it('works on a real template (Qwen3) and masks only assistant turns', () => {
    const conversation: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello there' },
      { role: 'user', content: 'Bye' },
      { role: 'assistant', content: 'Goodbye' },
    ];
    const out = applyChatTemplate(conversation, { tokenizerConfig: config('qwen3'), tokenizer: o200k, returnAssistantMask: true });
    expect(out.ids.length).toBe(out.assistantMask.length);
    const masked = o200k.decode(out.ids.filter((_, i) => out.assistantMask[i] === 1));
    expect(masked).toContain('Hello there');
    expect(masked).toContain('Goodbye');
    expect(masked).not.toContain('Hi');
    expect(masked).not.toContain('Bye<');
  });

  it('prefix rendering on real and built-in templates: each assistant turn through its end-of-turn token', () => {
    const conversation: ChatMessage[] = [
      { role: 'system', content: 'Sys.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello there' },
      { role: 'user', content: 'Bye' },
      { role: 'assistant', content: 'Goodbye' },
    ];
    const expected: Record<string, string[]> = {
      llama3: ['Hello there<|eot_id|>', 'Goodbye<|eot_id|>'],
      qwen3: ['Hello there<|im_end|>\n', '<think>\n\n</think>\n\nGoodbye<|im_end|>\n'],
      gemma3: ['Hello there<end_of_turn>\n', 'Goodbye<end_of_turn>\n'],
      deepseek_v3: ['Hello there<｜end▁of▁sentence｜>', 'Goodbye<｜end▁of▁sentence｜>'],
      'builtin:chatml': ['Hello there<|im_end|>\n', 'Goodbye<|im_end|>\n'],
      'builtin:llama3': ['Hello there<|eot_id|>', 'Goodbye<|eot_id|>'],
      'builtin:mistral': [' Hello there</s>', ' Goodbye</s>'],
      'builtin:alpaca': ['Hello there</s>\n\n', 'Goodbye</s>\n\n'],
    };
    for (const [name, spans] of Object.entries(expected)) {
      const builtin = name.startsWith('builtin:') ? (name.slice(8) as BuiltinChatTemplateName) : undefined;
      const source = builtin ? { builtin } : { tokenizerConfig: config(name) };
      const messages = builtin === 'mistral' ? conversation.slice(1) : conversation;
      const out = applyChatTemplate(messages, { ...source, tokenizer: o200k, returnAssistantMask: true });
      expect(out.assistantSpans.map(([s, e]) => out.text.slice(s, e)), name).toEqual(spans);
    }
  });

  it('tokenize: true returns the ids', () => {
    const ids = applyChatTemplate([{ role: 'user', content: 'Hi' }], { builtin: 'chatml', tokenizer: o200k, tokenize: true });
    expect(o200k.decode(ids)).toBe('<|im_start|>user\nHi<|im_end|>\n');
    expect(() => applyChatTemplate([{ role: 'user', content: 'Hi' }], { builtin: 'chatml', tokenize: true })).toThrow(InvalidArgumentError);
  });
});
