import SafeTensors
import TensorCore

/// A PyTorch `state_dict` saved by `torch.save` (zip format), read without executing any code.
///
/// The pickle in `<archive>/data.pkl` is interpreted by a restricted machine that knows only the
/// globals a state dict needs; tensor data stays in the zip's stored entries and is mapped in place.
public final class TorchCheckpoint: @unchecked Sendable {
    public let path: String
    public let file: MappedFile
    /// Tensors in the order the state dict lists them; `begin`/`end` are absolute file offsets.
    public let tensors: [TensorInfo]
    private let byName: [String: Int]

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        path = file.path
        tensors = try Self.parse(ZipArchive(file: file), planning: false)
        var byName: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { byName[t.name] = i }
        self.byName = byName
    }

    /// The tensors of a checkpoint still on a server, from the few pieces `source` fetches: the
    /// zip's tail (directory) and `data.pkl`. Names, dtypes and shapes are exact; byte ranges are
    /// placed from each storage entry's local-header offset (its exact data offset would need that
    /// header too), so they keep file order and size but not position: for planning only. The
    /// downloaded file, opened with `init(path:)`, must list the same names, dtypes and shapes.
    public static func plannedTensors(source: any ByteSource) throws -> [TensorInfo] {
        try parse(ZipArchive(file: source), planning: true)
    }

    /// The state dict's tensors in the order it lists them.
    private static func parse(_ zip: ZipArchive, planning: Bool) throws -> [TensorInfo] {
        let file = zip.source
        guard let pickleEntry = zip.entries.first(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }) else {
            throw TorchCheckpointError.missingEntry(path: file.path, entry: "<archive>/data.pkl")
        }
        let prefix = String(pickleEntry.name.dropLast("data.pkl".count))
        var machine = PickleMachine(path: file.path, bytes: try zip.storedBytes(of: pickleEntry).bytes)
        guard case let .dict(rootIndex) = try machine.run() else { throw TorchCheckpointError.notAStateDict(path: file.path) }
        let root = machine.dicts[rootIndex]

        var tensors: [TensorInfo] = []
        var seen = Set<String>()
        for (key, value) in root {
            guard case let .string(name) = key, case let .tensor(record) = value else {
                throw TorchCheckpointError.notAStateDict(path: file.path)
            }
            guard seen.insert(name).inserted else {
                throw TorchCheckpointError.badTensor(path: file.path, tensor: name, reason: "listed twice")
            }
            tensors.append(try TorchCheckpoint.locate(name, record, zip: zip, prefix: prefix, planning: planning))
        }
        return tensors
    }

    public func info(_ name: String) -> TensorInfo? { byName[name].map { tensors[$0] } }

    /// A view of tensor `name`'s bytes, mapped in place (the same type safetensors files give).
    public func view(_ name: String) throws -> TensorView {
        guard let t = info(name) else { throw SafeTensorsError.tensorNotFound(name: name) }
        return TensorView(locating: t, in: try file.bytes(at: t.begin, count: t.byteCount), at: t.begin)
    }

    private static func locate(_ name: String, _ r: TensorRecord, zip archive: ZipArchive, prefix: String, planning: Bool) throws -> TensorInfo {
        let path = archive.source.path
        func bad(_ reason: String) -> TorchCheckpointError { .badTensor(path: path, tensor: name, reason: reason) }
        guard r.shape.allSatisfy({ $0 >= 0 }) else { throw bad("negative dimension in \(r.shape)") }
        var count: Int64 = 1
        for d in r.shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw bad("shape \(r.shape) overflows") }
            count = p
        }
        // Only contiguous row-major views can be mapped as they are.
        var expected: Int64 = 1
        for (d, s) in Swift.zip(r.shape, r.stride).reversed() {
            if d > 1, s != expected { throw bad("non-contiguous stride \(r.stride) for shape \(r.shape); save the state dict after .contiguous()") }
            expected *= max(d, 1)
        }
        let elementSize = Int64(r.storage.dtype.bits / 8)
        guard r.storageOffset + count <= r.storage.elementCount else {
            throw bad("view of \(count) elements at offset \(r.storageOffset) exceeds its storage of \(r.storage.elementCount)")
        }
        let entryName = prefix + "data/" + r.storage.key
        guard let entry = archive.entry(named: entryName) else {
            throw TorchCheckpointError.missingEntry(path: path, entry: entryName)
        }
        let data = planning ? entry.localHeaderOffset..<(entry.localHeaderOffset + entry.uncompressedSize) : try archive.storedRange(of: entry)
        let dataOffset = data.lowerBound
        let start = UInt64(r.storageOffset * elementSize), length = UInt64(count * elementSize)
        guard start + length <= UInt64(data.count) else {
            throw bad("needs bytes \(start)..<\(start + length) of storage '\(r.storage.key)', which has \(data.count)")
        }
        return TensorInfo(name: name, dtype: r.storage.dtype, shape: r.shape.map { UInt64($0) },
                          fileRange: (dataOffset + start)..<(dataOffset + start + length))
    }
}
