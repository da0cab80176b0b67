#!/usr/bin/env python3
"""Test fixture: a torch.save-compatible checkpoint (see scripts/python/torchsave.py).

Usage: make_checkpoint.py OUT SPEC_JSON [--evil] [--sparse-gap BYTES] [--noncontiguous] [--prefix NAME]
SPEC_JSON: [{"name": ..., "dtype": "F32"|"F16"|"BF16", "shape": [...]}, ...]
Element i of every tensor is float((i % 251) - 125), exact in all three dtypes.
"""
import collections, json, os, sys
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts/python"))
import torchsave

args = sys.argv[1:]
out, spec = args[0], json.loads(args[1])
opt = lambda flag: args[args.index(flag) + 1] if flag in args else None

def values(shape, dtype):
    n = int(np.prod(shape)) if shape else 1
    x = ((np.arange(n) % 251) - 125).astype(np.float32).reshape(shape)
    if dtype == "F32": return x
    if dtype == "F16": return x.astype(np.float16)
    return (x.view(np.uint32) >> 16).astype(np.uint16)

tensors = collections.OrderedDict((t["name"], (t["dtype"], values(t["shape"], t["dtype"]))) for t in spec)
torchsave.save(tensors, out, prefix=opt("--prefix") or "archive", sparse_gap=int(opt("--sparse-gap") or 0),
               extra={"evil": torchsave.Evil()} if "--evil" in args else None,
               transpose_strides="--noncontiguous" in args)
