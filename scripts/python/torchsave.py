"""Writes checkpoints byte-compatible with torch.save (zip format, pickle protocol 2) without torch.

Used to make test fixtures and mock repositories shaped like real PyTorch `.bin` shards.
`save(tensors, path)` takes an ordered dict name → (dtype, numpy array) with dtype "F32", "F16"
or "BF16" (a BF16 array is given as its uint16 bit patterns).
"""
import collections, io, os, pickle, struct, sys, types, zlib

_torch, _utils = types.ModuleType("torch"), types.ModuleType("torch._utils")
def _rebuild_tensor_v2(*a): raise RuntimeError("stand-in")
_rebuild_tensor_v2.__module__ = "torch._utils"
_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
STORAGE = {}
for dt, cls_name in {"F32": "FloatStorage", "F16": "HalfStorage", "BF16": "BFloat16Storage"}.items():
    cls = type(cls_name, (), {"__module__": "torch"})
    setattr(_torch, cls_name, cls)
    STORAGE[dt] = cls

class _Storage:
    def __init__(self, key, cls, numel): self.key, self.cls, self.numel = key, cls, numel

class _Tensor:
    def __init__(self, storage, shape, stride): self.storage, self.shape, self.stride = storage, shape, stride
    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), tuple(self.stride), False, collections.OrderedDict()))

class Evil:
    """An object whose unpickling would run a shell command: readers must refuse it."""
    def __reduce__(self): return (os.system, ("echo pwned > /tmp/hubkit-pwned",))

class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage): return ("storage", obj.cls, obj.key, "cpu", obj.numel)
        return None

def _contiguous_stride(shape):
    stride, acc = [], 1
    for d in reversed(shape): stride.insert(0, acc); acc *= d
    return stride

def save(tensors, path, prefix="archive", sparse_gap=0, extra=None, transpose_strides=False):
    """tensors: ordered name → (dtype, ndarray). sparse_gap: zero bytes (a sparse hole) placed
    before the storages so they sit past 4 GiB and need ZIP64 records."""
    saved = sys.modules.get("torch"), sys.modules.get("torch._utils")
    sys.modules["torch"], sys.modules["torch._utils"] = _torch, _utils
    try:
        state, blobs = collections.OrderedDict(), []
        for i, (name, (dtype, array)) in enumerate(tensors.items()):
            shape = list(array.shape)
            stride = _contiguous_stride(shape)
            if transpose_strides and len(stride) == 2: stride = [1, shape[0]]
            state[name] = _Tensor(_Storage(str(i), STORAGE[dtype], int(array.size)), shape, stride)
            blobs.append((f"{prefix}/data/{i}", array.tobytes()))
        for k, v in (extra or {}).items(): state[k] = v
        buf = io.BytesIO(); _Pickler(buf, protocol=2).dump(state)
    finally:
        for key, mod in zip(("torch", "torch._utils"), saved):
            if mod is None: sys.modules.pop(key, None)
            else: sys.modules[key] = mod
    entries = [(f"{prefix}/data.pkl", buf.getvalue())]
    if sparse_gap: entries.append((f"{prefix}/data/padding", sparse_gap))
    entries += blobs + [(f"{prefix}/version", b"3\n"), (f"{prefix}/byteorder", b"little")]
    _write_zip(path, entries)

def _write_zip(path, entries):
    """A minimal stored-only ZIP writer with ZIP64 records wherever a field would overflow.
    An int instead of bytes is a sparse run of that many zero bytes."""
    central, LIM = [], 0xFFFFFFFF
    with open(path, "wb") as f:
        for name, data in entries:
            size = data if isinstance(data, int) else len(data)
            offset, nb = f.tell(), name.encode()
            z64 = size >= LIM or offset >= LIM
            extra = struct.pack("<HHQQ", 1, 16, size, size) if z64 else b""
            crc = 0 if isinstance(data, int) else zlib.crc32(data)
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc,
                                LIM if z64 else size, LIM if z64 else size, len(nb), len(extra)) + nb + extra)
            if isinstance(data, int): f.seek(size, 1)
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
