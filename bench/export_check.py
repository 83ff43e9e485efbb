#!/usr/bin/env python3
"""Checks a folder written by `lort export` outside LoRT (not run by CI).

    python3 bench/export_check.py DIR [--tokens IDS.txt] [--ctx N] [--expect PPL] [--tolerance REL]

1. Reads DIR/model.safetensors with numpy alone (header, dtypes, shapes against config.json, no
   NaN or infinity) and, for a PEFT export (DIR/base, DIR/adapter), the adapter's factors against
   its adapter_config.json.
2. Perplexity of the folder on token ids (whitespace-separated, as `lort eval --tokens` reads them),
   in consecutive --ctx windows each from an empty cache, every token but a window's first scored:
   the same measure as `lort eval --tokens FILE --ctx N`.
   - with transformers and torch installed: AutoModelForCausalLM.from_pretrained(DIR) (and, for a
     PEFT export, PeftModel.from_pretrained on DIR/adapter when peft is installed);
   - always: an independent float64 numpy forward pass of the Hugging Face Llama (RMSNorm,
     rotate-half RoPE, grouped-query attention, SwiGLU; default RoPE only), fast enough for tiny
     models such as stories260K.
   With --expect (the perplexity `lort eval` gives on the .lort file), each result must be within
   --tolerance (relative) of it; the exit code is 1 otherwise.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F64": np.float64,
          "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = np.frombuffer(data[a:b], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        if e["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        out[name] = (e["dtype"], raw)
    return header.get("__metadata__", {}), out


def check_folder(d):
    cfg = json.load(open(os.path.join(d, "config.json")))
    meta, t = read_safetensors(os.path.join(d, "model.safetensors"))
    problems = []
    if meta.get("format") != "pt":
        problems.append("__metadata__.format is not 'pt'")
    want = {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}.get(cfg.get("torch_dtype"))
    h, n_layers = cfg["hidden_size"], cfg["num_hidden_layers"]
    heads = cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads", heads)
    hd = cfg.get("head_dim", h // heads)
    shapes = {"model.embed_tokens.weight": [cfg["vocab_size"], h], "model.norm.weight": [h]}
    for i in range(n_layers):
        p = f"model.layers.{i}."
        shapes.update({p + "self_attn.q_proj.weight": [heads * hd, h], p + "self_attn.k_proj.weight": [kv * hd, h],
                       p + "self_attn.v_proj.weight": [kv * hd, h], p + "self_attn.o_proj.weight": [h, heads * hd],
                       p + "mlp.gate_proj.weight": [cfg["intermediate_size"], h], p + "mlp.up_proj.weight": [cfg["intermediate_size"], h],
                       p + "mlp.down_proj.weight": [h, cfg["intermediate_size"]],
                       p + "input_layernorm.weight": [h], p + "post_attention_layernorm.weight": [h]})
    for name, shape in shapes.items():
        if name not in t:
            problems.append("missing " + name)
        elif list(t[name][1].shape) != shape:
            problems.append(f"{name}: shape {list(t[name][1].shape)}, config says {shape}")
    for name, (dt, a) in t.items():
        if want and dt in ("F32", "F16", "BF16") and dt != want:
            problems.append(f"{name}: {dt}, config.json's torch_dtype says {want}")
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            problems.append(f"{name}: NaN or infinity")
    if not cfg.get("tie_word_embeddings", False) and "lm_head.weight" not in t:
        problems.append("untied config but no lm_head.weight")
    for f in ("tokenizer.json", "generation_config.json"):
        if not os.path.exists(os.path.join(d, f)):
            problems.append("no " + f)
    return cfg, {k: v[1] for k, v in t.items()}, problems


def numpy_perplexity(cfg, w, ids, ctx, adapter=None):
    h, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads", heads)
    hd = cfg.get("head_dim", h // heads)
    eps, theta = cfg.get("rms_norm_eps", 1e-6), cfg.get("rope_theta", 10000.0)
    W = {k: v.astype(np.float64) for k, v in w.items()}
    if adapter:
        for k, delta in adapter.items():
            W[k] = W[k] + delta
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    inv = theta ** (-np.arange(0, hd, 2) / hd)

    def norm(x, g):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g

    def rope(x, pos):  # x: [T, n, hd], rotate_half convention
        ang = pos[:, None] * inv[None, :]
        cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        a, b = x[..., : hd // 2], x[..., hd // 2:]
        return np.concatenate([a * cos - b * sin, b * cos + a * sin], -1)

    nll, scored = 0.0, 0
    for s in range(0, len(ids), ctx):
        win = np.array(ids[s:s + ctx])
        T = len(win)
        if T < 2:
            continue
        x = W["model.embed_tokens.weight"][win]
        pos = np.arange(T, dtype=np.float64)
        mask = np.triu(np.full((T, T), -np.inf), 1)
        for i in range(cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            y = norm(x, W[p + "input_layernorm.weight"])
            q = rope((y @ W[p + "self_attn.q_proj.weight"].T).reshape(T, heads, hd), pos)
            k = rope((y @ W[p + "self_attn.k_proj.weight"].T).reshape(T, kv, hd), pos)
            v = (y @ W[p + "self_attn.v_proj.weight"].T).reshape(T, kv, hd)
            k, v = np.repeat(k, heads // kv, 1), np.repeat(v, heads // kv, 1)
            att = np.einsum("qnd,knd->nqk", q, k) / np.sqrt(hd) + mask
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            o = np.einsum("nqk,knd->qnd", att, v).reshape(T, heads * hd)
            x = x + o @ W[p + "self_attn.o_proj.weight"].T
            y = norm(x, W[p + "post_attention_layernorm.weight"])
            g = y @ W[p + "mlp.gate_proj.weight"].T
            x = x + ((g / (1 + np.exp(-g))) * (y @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
        logits = norm(x, W["model.norm.weight"]) @ head.T
        m = logits.max(-1, keepdims=True)
        lse = (m + np.log(np.exp(logits - m).sum(-1, keepdims=True)))[:, 0]
        nll += float((lse[:-1] - logits[np.arange(T - 1), win[1:]]).sum())
        scored += T - 1
    return float(np.exp(nll / scored))


def adapter_deltas(d):
    cfg = json.load(open(os.path.join(d, "adapter_config.json")))
    _, t = read_safetensors(os.path.join(d, "adapter_model.safetensors"))
    out = {}
    for module in cfg["target_modules"]:
        r = cfg.get("rank_pattern", {}).get(module, cfg["r"])
        a = t[f"base_model.model.{module}.lora_A.weight"][1].astype(np.float64)
        b = t[f"base_model.model.{module}.lora_B.weight"][1].astype(np.float64)
        assert a.shape[0] == r and b.shape[1] == r, f"{module}: rank {r} but factors {a.shape}, {b.shape}"
        out[module + ".weight"] = (cfg["lora_alpha"] / r) * (b @ a)
    return out


def transformers_perplexity(d, ids, ctx, adapter_dir=None):
    try:
        import torch
        from transformers import AutoModelForCausalLM
    except ImportError:
        return None
    model = AutoModelForCausalLM.from_pretrained(d, torch_dtype=torch.float32)
    if adapter_dir:
        try:
            from peft import PeftModel
        except ImportError:
            return None
        model = PeftModel.from_pretrained(model, adapter_dir)
    model.eval()
    nll, scored = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(ids), ctx):
            win = torch.tensor([ids[s:s + ctx]])
            if win.shape[1] < 2:
                continue
            logits = model(win).logits[0].double()
            lp = torch.log_softmax(logits, -1)
            nll -= float(lp[torch.arange(win.shape[1] - 1), win[0, 1:]].sum())
            scored += win.shape[1] - 1
    return float(np.exp(nll / scored))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--tokens", help="token ids, whitespace-separated")
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--expect", type=float, help="lort eval's perplexity of the .lort file")
    ap.add_argument("--tolerance", type=float, default=1e-2)
    ap.add_argument("--no-numpy", action="store_true", help="skip the numpy forward pass (large models)")
    args = ap.parse_args()
    peft = os.path.isdir(os.path.join(args.dir, "adapter"))
    base = os.path.join(args.dir, "base") if peft else args.dir
    cfg, w, problems = check_folder(base)
    for p in problems:
        print("problem:", p)
    print(f"{base}: {len(w)} tensors, {sum(a.size for a in w.values()):,} weights, {'no problems' if not problems else str(len(problems)) + ' problems'}")
    adapter = adapter_deltas(os.path.join(args.dir, "adapter")) if peft else None
    if adapter:
        print(f"adapter: {len(adapter)} LoRA modules")
    ok = not problems
    if args.tokens:
        ids = [int(x) for x in open(args.tokens).read().split()]
        results = {}
        if not args.no_numpy:
            results["numpy float64"] = numpy_perplexity(cfg, w, ids, args.ctx, adapter)
        tr = transformers_perplexity(base, ids, args.ctx, os.path.join(args.dir, "adapter") if peft else None)
        results["transformers"] = tr
        for name, ppl in results.items():
            if ppl is None:
                print(f"{name}: not installed, skipped")
                continue
            line = f"{name}: perplexity {ppl:.6f} on {len(ids)} ids, --ctx {args.ctx}"
            if args.expect:
                rel = abs(ppl / args.expect - 1)
                line += f" (lort eval on the .lort: {args.expect:.6f}, relative difference {rel:.2e})"
                ok &= rel <= args.tolerance
            print(line)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
