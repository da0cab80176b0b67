"""A synthetic Llama-style SentencePiece vocabulary: tokenizer.model (protobuf) and a matching
tokenizer.json (BPE with byte fallback), the shapes Llama 1/2 repos ship, without sentencepiece.

Layout as in Llama 2: 0 <unk> (UNKNOWN), 1 <s>, 2 </s> (CONTROL), 3–258 <0x00>…<0xFF> (BYTE), then
characters and merged pieces, scores decreasing with rank.
"""
import json, random, struct

NORMAL, UNKNOWN, CONTROL, BYTE = 1, 2, 3, 6

def build(size=32000, seed=7):
    pieces = [("<unk>", 0.0, UNKNOWN), ("<s>", 0.0, CONTROL), ("</s>", 0.0, CONTROL)]
    pieces += [(f"<0x{b:02X}>", 0.0, BYTE) for b in range(256)]
    chars = ["\u2581"] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + [chr(c) for c in range(ord("A"), ord("Z") + 1)] \
        + list("0123456789.,;:!?'\"-()")
    rng, vocab, merges = random.Random(seed), {p[0] for p in pieces}, []
    learned = []
    for c in chars:
        vocab.add(c)
    words = list(chars)
    while len(pieces) + len(chars) + len(learned) < size:
        a, b = rng.choice(words), rng.choice(words)
        if len(a) + len(b) > 12 or "\u2581" in b or (a + b) in vocab:
            continue
        vocab.add(a + b); learned.append(a + b); merges.append((a, b)); words.append(a + b)
    ordered = learned  # merged pieces get ids in the order they were learned (SPM-like: score = -rank)
    for i, p in enumerate(ordered):
        pieces.append((p, -float(i), NORMAL))
    for i, c in enumerate(chars):
        pieces.append((c, -float(len(ordered) + i), NORMAL))
    return pieces, merges

def _varint(n):
    out = b""
    while True:
        b = n & 0x7F; n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n: return out

def tokenizer_model(pieces):
    """ModelProto with field 1 = repeated SentencePiece {1: piece, 2: score, 3: type}."""
    out = b""
    for piece, score, kind in pieces:
        raw = piece.encode()
        msg = b"\x0a" + _varint(len(raw)) + raw + b"\x15" + struct.pack("<f", score) + b"\x18" + _varint(kind)
        out += b"\x0a" + _varint(len(msg)) + msg
    return out

def tokenizer_json(pieces, merges):
    vocab = {p: i for i, (p, _, _) in enumerate(pieces)}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": p, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, (p, _, _) in enumerate(pieces[:3])],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                          {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                     {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }

def tokenizer_config(chat_template=None):
    cfg = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
           "unk_token": "<unk>", "pad_token": None, "clean_up_tokenization_spaces": False,
           "legacy": True, "model_max_length": 4096, "tokenizer_class": "LlamaTokenizer"}
    if chat_template: cfg["chat_template"] = chat_template
    return cfg
