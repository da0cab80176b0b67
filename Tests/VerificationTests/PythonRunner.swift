import Foundation
import TestSupport

/// Writes GGUF files from a safetensors Llama folder with the independent `gguf` package
/// (0.19.0): Q/K permuted as llama.cpp's converter does, quantized with gguf-py's reference
/// quantizers. `broken` makes deliberately wrong files: "no-permute" skips the Q/K permutation,
/// "scale2" doubles every block scale (or value) of blk.0.attn_v.weight.
enum GGUFMaker {
    static let script = #"""
import glob, json, sys
import numpy as np
from safetensors.numpy import load_file
import gguf
folder, out, qtype, broken = sys.argv[1:5]
cfg = json.load(open(folder + "/config.json"))
src = {}
for f in sorted(glob.glob(folder + "/*.safetensors")):
    src.update(load_file(f))
H, Hkv, D = cfg["num_attention_heads"], cfg.get("num_key_value_heads", cfg["num_attention_heads"]), cfg["hidden_size"]
L = cfg["num_hidden_layers"]
w = gguf.GGUFWriter(out, "llama")
w.add_context_length(cfg.get("max_position_embeddings", 2048))
w.add_embedding_length(D)
w.add_block_count(L)
w.add_feed_forward_length(cfg["intermediate_size"])
w.add_head_count(H)
w.add_head_count_kv(Hkv)
w.add_layer_norm_rms_eps(cfg.get("rms_norm_eps", 1e-6))
w.add_rope_freq_base(cfg.get("rope_theta", 10000.0))
w.add_rope_dimension_count(cfg.get("head_dim", D // H))
w.add_vocab_size(cfg["vocab_size"])
qt = {"f32": None, "f16": None, "q8_0": gguf.GGMLQuantizationType.Q8_0, "q4_0": gguf.GGMLQuantizationType.Q4_0}[qtype]
def permute(x, n):
    return x.reshape(n, 2, x.shape[0] // n // 2, *x.shape[1:]).swapaxes(1, 2).reshape(x.shape)
names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight"}
for i in range(L):
    for hf, g in [("input_layernorm", "attn_norm"), ("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"),
                  ("self_attn.v_proj", "attn_v"), ("self_attn.o_proj", "attn_output"), ("post_attention_layernorm", "ffn_norm"),
                  ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"), ("mlp.down_proj", "ffn_down")]:
        names[f"model.layers.{i}.{hf}.weight"] = f"blk.{i}.{g}.weight"
for hf, name in names.items():
    if hf not in src:
        continue
    x = src[hf].astype(np.float32)
    if broken != "no-permute":
        if name.endswith("attn_q.weight"): x = permute(x, H)
        if name.endswith("attn_k.weight"): x = permute(x, Hkv)
    double = broken == "scale2" and name == "blk.0.attn_v.weight"
    if x.ndim == 1 or qtype == "f32":
        w.add_tensor(name, x * (2 if double else 1))
    elif qtype == "f16":
        w.add_tensor(name, (x * (2 if double else 1)).astype(np.float16))
    else:
        q = gguf.quants.quantize(x, qt)
        if double:
            bs = 34 if qtype == "q8_0" else 18
            blocks = q.reshape(-1, bs).copy()
            d = blocks[:, :2].copy().view(np.float16) * np.float16(2)
            blocks[:, :2] = d.view(np.uint8)
            q = blocks.reshape(q.shape)
        w.add_tensor(name, q, raw_dtype=qt)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
"""#

    /// Writes `<dir>/<name>.gguf` and returns its path.
    static func make(from folder: String, type: String, broken: String = "none", in dir: String, name: String) throws -> String {
        let out = dir + "/\(name).gguf"
        try Python.run(script, arguments: [folder, out, type, broken])
        return out
    }
}
