import TensorCore

/// The central directory of a ZIP file, read straight from a memory map (or from the few pieces
/// of a remote file a `ByteSource` fetches: the tail and what it points to).
///
/// PyTorch's `torch.save` writes a ZIP of *stored* (uncompressed) entries, with ZIP64 records as
/// soon as anything passes 4 GiB (every float32 shard of a 70B model does). Only what is needed to
/// locate stored entries is parsed; everything is bounds-checked.
public struct ZipArchive {
    /// One file of the archive.
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// 0 = stored, 8 = deflated.
        public let method: UInt16
        public let compressedSize: UInt64
        public let uncompressedSize: UInt64
        /// Offset of the entry's local header.
        public let localHeaderOffset: UInt64
        public let flags: UInt16
    }

    public let source: any ByteSource
    /// Entries in central-directory order.
    public let entries: [Entry]
    private let index: [String: Int]

    public init(file: any ByteSource) throws {
        source = file
        let (cdOffset, cdSize, count) = try ZipArchive.locateCentralDirectory(file)
        let cd = try file.bytes(at: cdOffset, count: cdSize)
        var r = ByteReader(cd)
        var entries: [Entry] = []
        var index: [String: Int] = [:]
        entries.reserveCapacity(Int(min(count, 1 << 20)))
        for _ in 0..<count {
            guard try r.read(UInt32.self) == 0x0201_4b50 else {
                throw TorchCheckpointError.malformedZip(path: file.path, reason: "central directory entry \(entries.count) has a bad signature")
            }
            try r.skip(4)  // versions
            let flags = try r.read(UInt16.self)
            let method = try r.read(UInt16.self)
            try r.skip(8)  // time, date, crc
            var compressed = UInt64(try r.read(UInt32.self))
            var uncompressed = UInt64(try r.read(UInt32.self))
            let nameLength = Int(try r.read(UInt16.self))
            let extraLength = Int(try r.read(UInt16.self))
            let commentLength = Int(try r.read(UInt16.self))
            try r.skip(8)  // disk, internal and external attributes
            var localOffset = UInt64(try r.read(UInt32.self))
            let name = String(decoding: try r.readBytes(nameLength), as: UTF8.self)
            var extra = ByteReader(try r.readBytes(extraLength))
            try r.skip(commentLength)
            // ZIP64 extended information: only the fields saturated in the record are present, in this order.
            while extra.remaining >= 4 {
                let id = try extra.read(UInt16.self)
                let size = Int(try extra.read(UInt16.self))
                var field = ByteReader(try extra.readBytes(size))
                guard id == 0x0001 else { continue }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try field.read(UInt64.self) }
                if compressed == 0xFFFF_FFFF { compressed = try field.read(UInt64.self) }
                if localOffset == 0xFFFF_FFFF { localOffset = try field.read(UInt64.self) }
            }
            guard index[name] == nil else {
                throw TorchCheckpointError.malformedZip(path: file.path, reason: "entry '\(name)' appears twice")
            }
            index[name] = entries.count
            entries.append(Entry(name: name, method: method, compressedSize: compressed,
                                 uncompressedSize: uncompressed, localHeaderOffset: localOffset, flags: flags))
        }
        self.entries = entries
        self.index = index
    }

    public func entry(named name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Where a stored (uncompressed, unencrypted) entry's data lies, bounds-checked (its local
    /// header is read; the data is not).
    public func storedRange(of entry: Entry) throws -> Range<UInt64> {
        guard entry.flags & 1 == 0 else {
            throw TorchCheckpointError.malformedZip(path: source.path, reason: "entry '\(entry.name)' is encrypted")
        }
        guard entry.method == 0, entry.compressedSize == entry.uncompressedSize else {
            throw TorchCheckpointError.compressedEntry(path: source.path, entry: entry.name)
        }
        var local = ByteReader(try source.bytes(at: entry.localHeaderOffset, count: 30))
        guard try local.read(UInt32.self) == 0x0403_4b50 else {
            throw TorchCheckpointError.malformedZip(path: source.path, reason: "local header of '\(entry.name)' has a bad signature")
        }
        try local.skip(22)
        let nameLength = UInt64(try local.read(UInt16.self))
        let extraLength = UInt64(try local.read(UInt16.self))
        let dataOffset = entry.localHeaderOffset + 30 + nameLength + extraLength
        let (end, overflow) = dataOffset.addingReportingOverflow(entry.uncompressedSize)
        guard !overflow, end <= source.size else {
            throw TorchCheckpointError.malformedZip(path: source.path, reason: "entry '\(entry.name)' runs past the end of the file")
        }
        return dataOffset..<end
    }

    /// The bytes of a stored entry.
    public func storedBytes(of entry: Entry) throws -> (offset: UInt64, bytes: UnsafeRawBufferPointer) {
        let range = try storedRange(of: entry)
        return (range.lowerBound, try source.bytes(at: range.lowerBound, count: UInt64(range.count)))
    }

    /// Finds the end-of-central-directory record (and its ZIP64 twin when fields are saturated).
    private static func locateCentralDirectory(_ file: any ByteSource) throws -> (offset: UInt64, size: UInt64, count: UInt64) {
        let size = file.size
        guard size >= 22 else { throw TorchCheckpointError.notAZip(path: file.path) }
        let window = min(size, 22 + 65535)
        let tail = try file.bytes(at: size - window, count: window)
        var eocd: Int?
        var i = Int(window) - 22
        while i >= 0 {
            if tail.loadUnaligned(fromByteOffset: i, as: UInt32.self) == UInt32(0x0605_4b50).littleEndian { eocd = i; break }
            i -= 1
        }
        guard let eocd else { throw TorchCheckpointError.notAZip(path: file.path) }
        var r = ByteReader(tail, offset: eocd + 10)
        var count = UInt64(try r.read(UInt16.self))
        var cdSize = UInt64(try r.read(UInt32.self))
        var cdOffset = UInt64(try r.read(UInt32.self))
        if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            let locatorAt = size - window + UInt64(eocd)
            guard locatorAt >= 20 else { throw TorchCheckpointError.malformedZip(path: file.path, reason: "ZIP64 locator missing") }
            var loc = ByteReader(try file.bytes(at: locatorAt - 20, count: 20))
            guard try loc.read(UInt32.self) == 0x0706_4b50 else {
                throw TorchCheckpointError.malformedZip(path: file.path, reason: "ZIP64 locator missing")
            }
            try loc.skip(4)
            let recordAt = try loc.read(UInt64.self)
            var rec = ByteReader(try file.bytes(at: recordAt, count: 56))
            guard try rec.read(UInt32.self) == 0x0606_4b50 else {
                throw TorchCheckpointError.malformedZip(path: file.path, reason: "ZIP64 end record has a bad signature")
            }
            try rec.skip(28)
            count = try rec.read(UInt64.self)
            cdSize = try rec.read(UInt64.self)
            cdOffset = try rec.read(UInt64.self)
        }
        // Each central directory entry is at least 46 bytes: a count beyond that is a lie.
        guard count <= cdSize / 46 + 1 else {
            throw TorchCheckpointError.malformedZip(path: file.path, reason: "claims \(count) entries in a \(cdSize)-byte directory")
        }
        _ = try file.bytes(at: cdOffset, count: cdSize)
        return (cdOffset, cdSize, count)
    }
}
