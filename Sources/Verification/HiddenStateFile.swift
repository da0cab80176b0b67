#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TensorCore

/// The reference hidden states of a cached reference run, one block after another, in a file of
/// their own beside the run (`ref-<key>.hidden`): written as the layer-streamed reference pass
/// produces them and read back one block at a time, so neither pass holds every block's states
/// (2 MiB a block for 64 positions of a 8192-wide model). Layout: "HKHS", version 1, floats per
/// block (UInt32 LE each), 4 reserved bytes, then the blocks as float32 LE.
public final class HiddenStateFile: @unchecked Sendable {
    static let magic: UInt32 = 0x5348_4B48 // "HKHS"
    static let headerSize = 16

    public let path: String
    /// Floats per block.
    public let count: Int
    /// Blocks in the file.
    public let blocks: Int
    private let file: MappedFile

    /// Opens a complete file; nil when it is missing or malformed (a cache miss, not an error).
    public init?(path: String) {
        guard let file = try? MappedFile(path: path), file.size >= UInt64(Self.headerSize),
              let head = try? file.bytes(at: 0, count: UInt64(Self.headerSize)) else { return nil }
        var r = ByteReader(head)
        guard (try? r.read(UInt32.self)) == Self.magic, (try? r.read(UInt32.self)) == 1,
              let count = (try? r.read(UInt32.self)).map(Int.init), count > 0 else { return nil }
        let data = file.size - UInt64(Self.headerSize)
        guard data % UInt64(count * 4) == 0 else { return nil }
        self.path = path
        self.file = file
        self.count = count
        blocks = Int(data / UInt64(count * 4))
    }

    /// Block `index`'s hidden states (its pages dropped once copied out).
    public func block(_ index: Int) throws -> [Float] {
        guard index >= 0, index < blocks else { throw VerificationError.cacheCorrupt(path: path, reason: "no block \(index) of \(blocks)") }
        let offset = UInt64(Self.headerSize + index * count * 4), length = UInt64(count * 4)
        let bytes = try file.bytes(at: offset, count: length)
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
        for i in out.indices { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
        file.advise(.dontNeed, offset: offset, count: length)
        return out
    }

    /// Writes a hidden-state file block by block under a temporary name; `commit` renames it into place.
    public final class Writer {
        private let output: AtomicOutputFile
        private let count: Int

        public init(path: String, count: Int) throws {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            output = try AtomicOutputFile(destination: path, overwrite: true)
            self.count = count
            var w = ByteWriter()
            w.write(HiddenStateFile.magic); w.write(UInt32(1)); w.write(UInt32(count)); w.write(UInt32(0))
            try output.handle.write(contentsOf: w.bytes)
        }

        /// Appends the next block's states (exactly `count` floats).
        public func append(_ states: [Float]) throws {
            guard states.count == count else { throw VerificationError.cacheCorrupt(path: output.destination, reason: "block of \(states.count) floats, expected \(count)") }
            var w = ByteWriter()
            for v in states { w.write(v) }
            try output.handle.write(contentsOf: w.bytes)
        }

        public func commit() throws { try output.commit() }
    }
}
