"""Independent check of a hubkit-converted GGUF against its Hugging Face source folder.

Usage: check_gguf.py <model folder> <file.gguf> <type: f32|f16|bf16|q8_0|q4_0>

Reads the GGUF with gguf-py's GGUFReader, re-derives every tensor from the safetensors source
with its own code (own safetensors parser, own name map, numpy Q/K permutation as in llama.cpp's
convert_hf_to_gguf.py, gguf-py 0.19.0's quantizer), and compares byte for byte. Checks the
metadata value types llama.cpp's loader requires. Prints "OK <n tensors>" or raises.
"""
import json
import os
import struct
import sys

import numpy as np
import gguf
from gguf import GGUFReader, GGMLQuantizationType as T, GGUFValueType as V
from gguf.quants import quantize


def load_safetensors(folder):
    files = {}
    index = os.path.join(folder, "model.safetensors.index.json")
    names = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    for name in names:
        raw = open(os.path.join(folder, name), "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        for k, info in header.items():
            if k == "__metadata__":
                continue
            b, e = info["data_offsets"]
            buf = raw[8 + n + b: 8 + n + e]
            dt = info["dtype"]
            if dt == "F32":
                a = np.frombuffer(buf, dtype="<f4")
            elif dt == "F16":
                a = np.frombuffer(buf, dtype="<f2").astype(np.float32)
            elif dt == "BF16":
                a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
            else:
                raise ValueError(dt)
            files[k] = a.reshape(info["shape"])
    return files


def permute(w, n_head, n_head_kv):
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape))


NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
LAYER = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def gguf_name(hf):
    if hf in NAMES:
        return NAMES[hf]
    parts = hf.split(".")
    assert parts[0] == "model" and parts[1] == "layers", hf
    return "blk.%s.%s" % (parts[2], LAYER[".".join(parts[3:])])


def expected_type(name, shape, outtype, tied):
    if len(shape) <= 1 or name.endswith("_norm.weight"):
        return T.F32
    t = {"f32": T.F32, "f16": T.F16, "bf16": T.BF16, "q8_0": T.Q8_0, "q4_0": T.Q4_0}[outtype]
    if outtype == "q4_0" and (name == "output.weight" or (name == "token_embd.weight" and tied)):
        t = T.Q8_0
    if t in (T.Q8_0, T.Q4_0) and shape[-1] % 32 != 0:
        t = T.F16
    return t


REQUIRED_TYPES = {
    "general.architecture": [V.STRING],
    "general.file_type": [V.UINT32],
    "llama.context_length": [V.UINT32],
    "llama.embedding_length": [V.UINT32],
    "llama.block_count": [V.UINT32],
    "llama.feed_forward_length": [V.UINT32],
    "llama.attention.head_count": [V.UINT32],
    "llama.attention.head_count_kv": [V.UINT32],
    "llama.attention.layer_norm_rms_epsilon": [V.FLOAT32],
    "llama.rope.dimension_count": [V.UINT32],
    "llama.rope.freq_base": [V.FLOAT32],
    "tokenizer.ggml.model": [V.STRING],
    "tokenizer.ggml.tokens": [V.ARRAY, V.STRING],
    "tokenizer.ggml.token_type": [V.ARRAY, V.INT32],
    "tokenizer.ggml.bos_token_id": [V.UINT32],
    "tokenizer.ggml.eos_token_id": [V.UINT32],
    "hubkit.version": [V.STRING],
    "hubkit.type_recipe": [V.STRING],
}


def main(folder, path, outtype):
    cfg = json.load(open(os.path.join(folder, "config.json")))
    src = load_safetensors(folder)
    tied = "lm_head.weight" not in src
    r = GGUFReader(path)
    fields = {f.name: f for f in r.fields.values()}
    for k, types in REQUIRED_TYPES.items():
        assert k in fields, "missing key " + k
        assert [int(t) for t in fields[k].types] == [int(t) for t in types], (k, fields[k].types)
    if outtype in ("q8_0", "q4_0"):
        assert [int(t) for t in fields["general.quantization_version"].types] == [V.UINT32]
    ctx = fields["llama.context_length"]
    assert int(ctx.parts[ctx.data[0]][0]) == cfg["max_position_embeddings"]
    tokens = fields["tokenizer.ggml.tokens"]
    n_tokens = len(tokens.data)
    assert n_tokens == src["model.embed_tokens.weight"].shape[0], n_tokens
    names = [bytes(tokens.parts[i]).decode() for i in tokens.data]
    assert len(set(names)) == len(names), "duplicate tokens"

    by_name = {t.name: t for t in r.tensors}
    rs = cfg.get("rope_scaling") or {}
    llama3 = (rs.get("rope_type") or "").lower() == "llama3"
    assert len(by_name) == len(src) + (1 if llama3 else 0), (sorted(by_name), sorted(src))
    if llama3:
        # Same formula as convert_hf_to_gguf.py's generate_extra_tensors, in float32 numpy.
        dim = cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
        base = np.float32(cfg.get("rope_theta", 10000.0))
        freqs = np.float32(1.0) / (base ** (np.arange(0, dim, 2, dtype=np.float32) / np.float32(dim)))
        factor, low, high = rs.get("factor", 8.0), rs.get("low_freq_factor", 1.0), rs.get("high_freq_factor", 4.0)
        old = cfg.get("original_max_position_embeddings", 8192)
        want = []
        for f in freqs:
            wl = np.float32(2 * np.pi) / f
            if wl < old / high:
                want.append(1.0)
            elif wl > old / low:
                want.append(factor)
            else:
                sm = (old / wl - low) / (high - low)
                want.append(1 / ((1 - sm) / factor + sm))
        t = by_name["rope_freqs.weight"]
        assert t.tensor_type == T.F32 and [int(x) for x in t.shape] == [dim // 2]
        assert np.allclose(np.asarray(t.data), np.array(want, dtype=np.float32), rtol=1e-6, atol=0), (np.asarray(t.data), want)
    H, Hkv = cfg["num_attention_heads"], cfg.get("num_key_value_heads", cfg["num_attention_heads"])
    for hf, w in src.items():
        name = gguf_name(hf)
        t = by_name[name]
        if hf.endswith("q_proj.weight"):
            w = permute(w, H, H)
        elif hf.endswith("k_proj.weight"):
            w = permute(w, H, Hkv)
        w = np.ascontiguousarray(w, dtype=np.float32)
        want = expected_type(name, w.shape, outtype, tied)
        assert t.tensor_type == want, (name, t.tensor_type, want)
        assert [int(x) for x in t.shape] == list(reversed(w.shape)), (name, t.shape, w.shape)
        ref = quantize(w, want)
        got = np.asarray(t.data)
        assert got.tobytes() == ref.tobytes(), "tensor %s (%s) differs from gguf-py" % (name, want.name)
    print("OK", len(by_name))


if __name__ == "__main__":
    main(*sys.argv[1:4])
