extension TensorInfo {
    /// A tensor entry for checkpoints that are not safetensors files (PyTorch zip shards): the
    /// bytes are `fileRange` in the file, and `begin`/`end` hold that absolute range.
    public init(name: String, dtype: DType, shape: [UInt64], fileRange: Range<UInt64>) {
        self.init(name: name, dtype: dtype, shape: shape, begin: fileRange.lowerBound, end: fileRange.upperBound)
    }
}

extension TensorView {
    /// A view over bytes that another reader has located and bounds-checked.
    public init(locating info: TensorInfo, in bytes: UnsafeRawBufferPointer, at fileOffset: UInt64) {
        self.init(info: info, bytes: bytes, fileOffset: fileOffset)
    }
}
