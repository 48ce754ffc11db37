/**
 * Built-in chat templates, written here after the semantics of the official ones
 * (ChatML as used by Qwen/OpenAI, Meta Llama 3 Instruct, Mistral Instruct v0.3, Stanford Alpaca).
 * Each comes with the special tokens it uses when no tokenizer config supplies them.
 */

/** Names of the built-in templates. */
export type BuiltinChatTemplateName = 'chatml' | 'llama3' | 'mistral' | 'alpaca';

/** A built-in template and the special-token defaults it renders with. */
export interface BuiltinChatTemplate {
  template: string;
  bosToken: string | null;
  eosToken: string | null;
}

/** ChatML: `<|im_start|>{role}\n{content}<|im_end|>\n` per message. */
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Llama 3 Instruct: header ids around the role, content trimmed, `<|eot_id|>` after each turn, BOS first. */
const LLAMA3 =
  "{% for message in messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' %}" +
  '{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}' +
  "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

/**
 * Mistral Instruct v0.3: `[INST] user[/INST] assistant</s>`; the system message is prepended to the
 * last user message; tools are listed before the last user message as `[AVAILABLE_TOOLS] ...[/AVAILABLE_TOOLS]`;
 * assistant tool calls render as `[TOOL_CALLS] [...]</s>` and tool results as `[TOOL_RESULTS] {...}[/TOOL_RESULTS]`.
 */
const MISTRAL = `{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- set user_messages = loop_messages | selectattr('role', 'equalto', 'user') | list %}
{%- set ns = namespace(index=0) %}
{%- for message in loop_messages %}
    {%- if not (message['role'] == 'tool' or (message['role'] == 'assistant' and message['tool_calls'] is defined and message['tool_calls'])) %}
        {%- if (message['role'] == 'user') != (ns.index % 2 == 0) %}
            {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
        {%- endif %}
        {%- set ns.index = ns.index + 1 %}
    {%- endif %}
{%- endfor %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message['role'] == 'user' %}
        {%- if tools and (message == user_messages[-1]) %}
            {{- '[AVAILABLE_TOOLS] [' }}
            {%- for tool in tools %}
                {{- tool | tojson }}
                {%- if not loop.last %}{{- ', ' }}{%- endif %}
            {%- endfor %}
            {{- '][/AVAILABLE_TOOLS]' }}
        {%- endif %}
        {%- if loop.last and system_message is defined %}
            {{- '[INST] ' + system_message + '\\n\\n' + message['content'] + '[/INST]' }}
        {%- else %}
            {{- '[INST] ' + message['content'] + '[/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' and message['tool_calls'] is defined and message['tool_calls'] %}
        {{- '[TOOL_CALLS] [' }}
        {%- for tool_call in message['tool_calls'] %}
            {%- set call = tool_call['function'] if tool_call['function'] is defined else tool_call %}
            {{- '{"name": "' + call['name'] + '", "arguments": ' }}
            {%- if call['arguments'] is string %}{{- call['arguments'] }}{%- else %}{{- call['arguments'] | tojson }}{%- endif %}
            {%- if tool_call['id'] is defined %}{{- ', "id": "' + tool_call['id'] + '"' }}{%- endif %}
            {{- '}' }}
            {%- if not loop.last %}{{- ', ' }}{%- endif %}
        {%- endfor %}
        {{- ']' + eos_token }}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] | trim + eos_token }}
    {%- elif message['role'] == 'tool' %}
        {{- '[TOOL_RESULTS] {"content": ' + message['content'] | tojson }}
        {%- if message['tool_call_id'] is defined %}{{- ', "call_id": "' + message['tool_call_id'] + '"' }}{%- endif %}
        {{- '}[/TOOL_RESULTS]' }}
    {%- else %}
        {{- raise_exception('Only user, assistant and tool roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}`;

/** Alpaca: default system preamble, `### Instruction:` / `### Response:` sections separated by blank lines. */
const ALPACA =
  "{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] + '\\n\\n' }}{% set loop_messages = messages[1:] %}" +
  "{% else %}{{ 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\\n\\n' }}{% set loop_messages = messages %}{% endif %}" +
  "{% for message in loop_messages %}{% if message['role'] == 'user' %}{{ '### Instruction:\\n' + message['content'] + '\\n\\n' }}" +
  "{% elif message['role'] == 'assistant' %}{{ '### Response:\\n' + message['content'] + eos_token + '\\n\\n' }}" +
  "{% else %}{{ raise_exception('Alpaca supports an optional first system message, then user and assistant messages only.') }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '### Response:\\n' }}{% endif %}";

/** The built-in templates by name (a registry: add an entry to add a template). */
export const BUILTIN_CHAT_TEMPLATES: Readonly<Record<BuiltinChatTemplateName, BuiltinChatTemplate>> = {
  chatml: { template: CHATML, bosToken: null, eosToken: '<|im_end|>' },
  llama3: { template: LLAMA3, bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>' },
  mistral: { template: MISTRAL, bosToken: '<s>', eosToken: '</s>' },
  alpaca: { template: ALPACA, bosToken: '<s>', eosToken: '</s>' },
};
