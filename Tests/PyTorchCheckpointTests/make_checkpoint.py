#!/usr/bin/env python3
"""Writes a checkpoint byte-compatible with torch.save (zip format, pickle protocol 2) without torch.

Usage: make_checkpoint.py OUT SPEC_JSON [--evil] [--sparse-gap BYTES] [--noncontiguous] [--prefix NAME]

SPEC_JSON: [{"name": ..., "dtype": "F32"|"F16"|"BF16", "shape": [...]}, ...]
Element i of every tensor is float((i % 251) - 125), exact in all three dtypes.
--sparse-gap inserts a sparse entry of that many zero bytes before the tensor storages, so that
storages sit past 4 GiB and the archive needs ZIP64 records (as every FreeWilly2 shard does).
"""
import collections, io, json, os, pickle, struct, sys, types, zlib
import numpy as np

args = sys.argv[1:]
out, spec = args[0], json.loads(args[1])
evil = "--evil" in args
noncontiguous = "--noncontiguous" in args
gap = int(args[args.index("--sparse-gap") + 1]) if "--sparse-gap" in args else 0
prefix = args[args.index("--prefix") + 1] if "--prefix" in args else "archive"

# Stand-ins for the torch globals, so pickle names them exactly as torch.save does.
torch_mod, utils_mod = types.ModuleType("torch"), types.ModuleType("torch._utils")
sys.modules["torch"], sys.modules["torch._utils"] = torch_mod, utils_mod
def _rebuild_tensor_v2(*a): raise RuntimeError
_rebuild_tensor_v2.__module__ = "torch._utils"
utils_mod._rebuild_tensor_v2 = _rebuild_tensor_v2
storage_types = {}
for dt, cls_name in {"F32": "FloatStorage", "F16": "HalfStorage", "BF16": "BFloat16Storage"}.items():
    cls = type(cls_name, (), {"__module__": "torch"})
    setattr(torch_mod, cls_name, cls)
    storage_types[dt] = cls

class Storage:
    def __init__(self, key, cls, numel): self.key, self.cls, self.numel = key, cls, numel

class Tensor:
    def __init__(self, storage, shape, stride): self.storage, self.shape, self.stride = storage, shape, stride
    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), tuple(self.stride), False, collections.OrderedDict()))

class Evil:
    def __reduce__(self): return (os.system, ("echo pwned > /tmp/hubkit-pwned",))

class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage): return ("storage", obj.cls, obj.key, "cpu", obj.numel)
        return None

def values(n, dtype):
    x = ((np.arange(n) % 251) - 125).astype(np.float32)
    if dtype == "F32": return x.tobytes()
    if dtype == "F16": return x.astype(np.float16).tobytes()
    return (x.view(np.uint32) >> 16).astype(np.uint16).tobytes()

state, blobs = collections.OrderedDict(), []
for i, t in enumerate(spec):
    n = int(np.prod(t["shape"])) if t["shape"] else 1
    stride, acc = [], 1
    for d in reversed(t["shape"]): stride.insert(0, acc); acc *= d
    if noncontiguous and len(stride) == 2: stride = [1, t["shape"][0]]
    state[t["name"]] = Tensor(Storage(str(i), storage_types[t["dtype"]], n), t["shape"], stride)
    blobs.append((f"{prefix}/data/{i}", values(n, t["dtype"])))
if evil: state["evil"] = Evil()
buf = io.BytesIO(); Pickler(buf, protocol=2).dump(state)

entries = [(f"{prefix}/data.pkl", buf.getvalue())]
if gap: entries.append((f"{prefix}/data/padding", gap))
entries += blobs + [(f"{prefix}/version", b"3\n"), (f"{prefix}/byteorder", b"little")]

# A minimal stored-only ZIP writer with ZIP64 records wherever a field would overflow.
central, LIM = [], 0xFFFFFFFF
with open(out, "wb") as f:
    for name, data in entries:
        size = data if isinstance(data, int) else len(data)
        offset, nb = f.tell(), name.encode()
        z64 = size >= LIM or offset >= LIM
        extra = struct.pack("<HHQQ", 1, 16, size, size) if z64 else b""
        crc = 0 if isinstance(data, int) else zlib.crc32(data)
        f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc,
                            LIM if z64 else size, LIM if z64 else size, len(nb), len(extra)) + nb + extra)
        if isinstance(data, int): f.seek(size, 1)  # sparse zeros
        else: f.write(data)
        central.append((nb, size, offset, crc))
    cd_start = f.tell()
    for nb, size, offset, crc in central:
        fields = ([size, size] if size >= LIM else []) + ([offset] if offset >= LIM else [])
        extra = struct.pack("<HH", 1, 8 * len(fields)) + b"".join(struct.pack("<Q", v) for v in fields) if fields else b""
        f.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc,
                            min(size, LIM), min(size, LIM), len(nb), len(extra), 0, 0, 0, 0, min(offset, LIM)) + nb + extra)
    cd_end = f.tell()
    n, cd_size = len(central), cd_end - cd_start
    if cd_start >= LIM:
        f.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, cd_size, cd_start))
        f.write(struct.pack("<IIQI", 0x07064B50, 0, cd_end, 1))
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, LIM, LIM, 0))
    else:
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, cd_size, cd_start, 0))
