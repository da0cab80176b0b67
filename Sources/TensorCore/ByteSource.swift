/// Bytes addressed by offset and bounds-checked against a size: a mapped file, or a file still on
/// a server read in pieces (pull plans `.bin` checkpoints from their remote zip directory).
public protocol ByteSource: AnyObject {
    /// A name for messages.
    var path: String { get }
    var size: UInt64 { get }
    /// The bytes `[offset, offset + length)`; throws when any part lies past the end.
    func bytes(at offset: UInt64, count length: UInt64) throws -> UnsafeRawBufferPointer
}

extension MappedFile: ByteSource {}
