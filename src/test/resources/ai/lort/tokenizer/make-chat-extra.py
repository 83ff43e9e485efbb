# Writes chat-extra.json: renderings by Python's jinja2 set up as transformers' apply_chat_template
# sets it up (trim_blocks, lstrip_blocks, loopcontrols, tojson = json.dumps(ensure_ascii=False)),
# for template features that shared/tokenizers/chat-cases.json does not reach.
# (Templates here print no booleans: Python prints True, jinjava true.)
# Run from the worktree root: python3 src/test/resources/ai/lort/tokenizer/make-chat-extra.py
import json
import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception

qwen3 = json.load(open("../shared/tokenizers/qwen3/tokenizer_config.json"))["chat_template"]
tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city, \"now\".",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
cases = [
    ({"messages": [{"role": "user", "content": "2+2?"},
                   {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n4"},
                   {"role": "user", "content": "and 3+3?"},
                   {"role": "assistant", "content": "<think>\nagain\n</think>\n\n6"}], "add_generation_prompt": False}),
    ({"messages": [{"role": "user", "content": "Weather in Paris?"},
                   {"role": "assistant", "content": "Let me check."},
                   {"role": "tool", "content": "{\"temp\": 21}"},
                   {"role": "tool", "content": "sunny"},
                   {"role": "user", "content": "<tool_response>\nraw\n</tool_response>"}], "add_generation_prompt": True}),
    ({"messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi é ✓"}],
      "tools": tools, "add_generation_prompt": True}),
    ({"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": True, "enable_thinking": False}),
    ({"messages": [{"role": "user", "content": "Weather?"},
                   {"role": "assistant", "content": "", "reasoning_content": "\nneed a tool\n",
                    "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}},
                                   {"name": "raw", "arguments": "{\"x\": 1}"}]},
                   {"role": "tool", "content": "21C"}], "add_generation_prompt": True}),
    ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                   {"role": "system", "content": "late system"}], "add_generation_prompt": False}),
]
out = []
for ctx in cases:
    rendered = env.from_string(qwen3).render(**ctx, bos_token="", eos_token="<|im_end|>")
    out.append({"template": "qwen3", "context": ctx, "rendered": rendered})
# Small templates for single features.
small = [
    ("{% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}|{% for k, v in d.items() %}{{ k }}{% endfor %}|{{ d.get('a') }}{{ d.get('zz', 'dflt') }}",
     {"d": {"b": 1, "a": "x"}}),
    ("{{ m[1:] | length }}|{{ m[-1] }}|{{ m[:-1] | join }}|{{ m | map('upper') | join(',') }}|{% for x in m %}{% if x == 'b' %}{% break %}{% endif %}{{ x }}{% endfor %}",
     {"m": ["a", "b", "c"]}),
    ("{{ 'a,b,,c,'.split(',') | tojson }}|{{ '  x y  '.split() | tojson }}|{{ 'a-b-c'.split('-', 1) | tojson }}", {}),
    ("{{ '\\n\\nx\\n'.strip('\\n') }}|{{ 'xxhixx'.lstrip('x') }}|{{ 'xxhixx'.rstrip('x') }}|{{ '  y '.strip() }}", {}),
    ("{{ 'Y' if 'Hello'.startswith('He') }}{{ 'Y' if 'Hello'.endswith('lo') }}{{ 'Y' if 'Hello'.startswith(('x', 'H')) }}{{ 'N' if 'Hello'.startswith('e') }} {{ 'ab'.upper() }}", {}),
    ("{% for m in messages[::-1] %}{{ loop.index0 }}{{ m }}{% endfor %}|{{ word[::-1] }}|{{ messages[::-1] | join(',') }}", {"messages": ["a", "b", "c"], "word": "abc"}),
    ("{% set ns = namespace(n=items|length - 1, found=false) %}{% for i in items %}{% if i > 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.n }} {{ 'found' if ns.found }}", {"items": [1, 2, 3]}),
    ("{{ data | tojson }}|{{ data | tojson(indent=2) }}", {"data": {"b": [1, 2.5, None, True], "a": "q\"\\\n\tü", "e": {}, "f": []}}),
    ("{% if x is defined and x is false %}F{% elif x is defined %}T{% else %}U{% endif %}", {"x": False}),
    ("{{ 'Y' if 'think' in 'a<think>b' }} {{ 'Y' if 'c' not in 'ab' }} {{ ('a' ~ 1) }}", {}),
]
# Templates in the style of other model families (Mistral Instruct, Llama 2 chat, Zephyr/TinyLlama,
# Llama 3.1 with tools), written for their features: slices, modulo, != between booleans, |trim, tojson(indent).
mistral = ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
           "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
           "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
           "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
           "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")
llama2 = ("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
          "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
          "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
          "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
          "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
          "{% else %}{% set content = message['content'] %}{% endif %}"
          "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
          "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}")
zephyr = ("{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
          "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
          "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
          "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}\n")
llama31 = """{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- if tools_in_user_message and not tools is none %}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
    {%- endif %}
    {{- '<|start_header_id|>user<|end_header_id|>\n\n' -}}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
    {{- first_user_message + "<|eot_id|>"}}
{%- endif %}
{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"""
convs = [
    [{"role": "user", "content": "Hi"}],
    [{"role": "system", "content": " Be nice. "}, {"role": "user", "content": "Hi "}, {"role": "assistant", "content": " Hello! "}, {"role": "user", "content": "Bye"}],
]
for name, template in [("mistral-style", mistral), ("llama2-style", llama2), ("zephyr-style", zephyr), ("llama31-style", llama31)]:
    for conv in convs:
        if name == "mistral-style" and conv[0]["role"] == "system":
            continue
        for extra in ([{}, {"tools": tools, "tools_in_user_message": False}] if name == "llama31-style" else [{}]):
            ctx = {"messages": conv, "add_generation_prompt": True, "bos_token": "<s>", "eos_token": "</s>", **extra}
            out.append({"template": template, "context": ctx, "rendered": env.from_string(template).render(**ctx)})

for template, ctx in small:
    out.append({"template": template, "context": ctx, "rendered": env.from_string(template).render(**ctx)})
json.dump(out, open("src/test/resources/ai/lort/tokenizer/chat-extra.json", "w"), ensure_ascii=False, indent=1)
print(len(out), "cases")
