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
    ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                   {"role": "system", "content": "late system"}], "add_generation_prompt": False}),
]
out = []
for ctx in cases:
    rendered = env.from_string(qwen3).render(**ctx, bos_token="", eos_token="<|im_end|>")
    out.append({"template": "qwen3", "context": ctx, "rendered": rendered})
# Small templates for single features.
small = [
    ("{{ 'a,b,,c,'.split(',') | tojson }}|{{ '  x y  '.split() | tojson }}|{{ 'a-b-c'.split('-', 1) | tojson }}", {}),
    ("{{ '\\n\\nx\\n'.strip('\\n') }}|{{ 'xxhixx'.lstrip('x') }}|{{ 'xxhixx'.rstrip('x') }}|{{ '  y '.strip() }}", {}),
    ("{{ 'Y' if 'Hello'.startswith('He') }}{{ 'Y' if 'Hello'.endswith('lo') }}{{ 'Y' if 'Hello'.startswith(('x', 'H')) }}{{ 'N' if 'Hello'.startswith('e') }} {{ 'ab'.upper() }}", {}),
    ("{% for m in messages[::-1] %}{{ loop.index0 }}{{ m }}{% endfor %}|{{ word[::-1] }}|{{ messages[::-1] | join(',') }}", {"messages": ["a", "b", "c"], "word": "abc"}),
    ("{% set ns = namespace(n=items|length - 1, found=false) %}{% for i in items %}{% if i > 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.n }} {{ 'found' if ns.found }}", {"items": [1, 2, 3]}),
    ("{{ data | tojson }}|{{ data | tojson(indent=2) }}", {"data": {"b": [1, 2.5, None, True], "a": "q\"\\\n\tü", "e": {}, "f": []}}),
    ("{% if x is defined and x is false %}F{% elif x is defined %}T{% else %}U{% endif %}", {"x": False}),
    ("{{ 'Y' if 'think' in 'a<think>b' }} {{ 'Y' if 'c' not in 'ab' }} {{ ('a' ~ 1) }}", {}),
]
for template, ctx in small:
    out.append({"template": template, "context": ctx, "rendered": env.from_string(template).render(**ctx)})
json.dump(out, open("src/test/resources/ai/lort/tokenizer/chat-extra.json", "w"), ensure_ascii=False, indent=1)
print(len(out), "cases")
