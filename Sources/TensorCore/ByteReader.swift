/// Thrown when a little-endian read would run past the end of its buffer.
public struct UnexpectedEndOfData: Error, CustomStringConvertible, Equatable {
    /// Offset (from the start of the buffer) of the read that failed.
    public let offset: Int
    /// Bytes the read needed.
    public let needed: Int
    /// Bytes the buffer has.
    public let available: Int

    public var description: String {
        "unexpected end of data: needed \(needed) bytes at offset \(offset) but the data is \(available) bytes long"
    }
}

/// A bounds-checked little-endian cursor over raw bytes. Reads throw instead of trapping, so a
/// parser built on it cannot be crashed by a truncated or hostile file.
public struct ByteReader {
    public let buffer: UnsafeRawBufferPointer
    /// Current read position in bytes from the start of `buffer`.
    public var offset: Int

    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    /// Bytes left after the current position.
    public var remaining: Int { buffer.count - offset }

    private mutating func advance(_ n: Int) throws -> Int {
        guard n >= 0, n <= remaining else {
            throw UnexpectedEndOfData(offset: offset, needed: n, available: buffer.count)
        }
        let at = offset
        offset += n
        return at
    }

    /// Reads one fixed-width little-endian integer.
    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let at = try advance(MemoryLayout<T>.size)
        return T(littleEndian: buffer.loadUnaligned(fromByteOffset: at, as: T.self))
    }

    public mutating func readFloat32() throws -> Float { Float(bitPattern: try read(UInt32.self)) }
    public mutating func readFloat64() throws -> Double { Double(bitPattern: try read(UInt64.self)) }

    /// Reads `count` raw bytes.
    public mutating func readBytes(_ count: Int) throws -> UnsafeRawBufferPointer {
        let at = try advance(count)
        return UnsafeRawBufferPointer(rebasing: buffer[at..<(at + count)])
    }

    /// Skips `count` bytes.
    public mutating func skip(_ count: Int) throws { _ = try advance(count) }
}
