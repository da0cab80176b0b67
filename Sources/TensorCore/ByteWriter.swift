/// Appends little-endian values to a growable byte array. Host structs are never dumped: every
/// field is written explicitly, so the output is the same on any machine.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public var count: Int { bytes.count }

    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: Float) { write(value.bitPattern) }
    public mutating func write(_ value: Double) { write(value.bitPattern) }
    public mutating func write(bytes other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// Appends zero bytes until `count` is a multiple of `alignment`.
    public mutating func pad(toMultipleOf alignment: Int) {
        let extra = padding(for: UInt64(bytes.count), alignment: UInt64(alignment))
        bytes.append(contentsOf: repeatElement(0, count: Int(extra)))
    }
}

/// Bytes needed after `offset` to reach the next multiple of `alignment` (GGUF's `align`).
@inlinable
public func padding(for offset: UInt64, alignment: UInt64) -> UInt64 {
    (alignment - offset % alignment) % alignment
}

/// `offset` rounded up to a multiple of `alignment`.
@inlinable
public func aligned(_ offset: UInt64, to alignment: UInt64) -> UInt64 {
    offset + padding(for: offset, alignment: alignment)
}
