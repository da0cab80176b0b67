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
        let zip = try ZipArchive(file: file)
        guard let pickleEntry = zip.entries.first(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }) else {
            throw TorchCheckpointError.missingEntry(path: file.path, entry: "<archive>/data.pkl")
        }
        let prefix = String(pickleEntry.name.dropLast("data.pkl".count))
        var machine = PickleMachine(path: file.path, bytes: try zip.storedBytes(of: pickleEntry).bytes)
        guard case let .dict(rootIndex) = try machine.run() else { throw TorchCheckpointError.notAStateDict(path: file.path) }
        let root = machine.dicts[rootIndex]

        var tensors: [TensorInfo] = []
        var byName: [String: Int] = [:]
        for (key, value) in root {
            guard case let .string(name) = key, case let .tensor(record) = value else {
                throw TorchCheckpointError.notAStateDict(path: file.path)
            }
            guard byName[name] == nil else {
                throw TorchCheckpointError.badTensor(path: file.path, tensor: name, reason: "listed twice")
            }
            byName[name] = tensors.count
            tensors.append(try TorchCheckpoint.locate(name, record, zip: zip, prefix: prefix))
        }
        self.tensors = tensors
        self.byName = byName
    }

    public func info(_ name: String) -> TensorInfo? { byName[name].map { tensors[$0] } }

    /// A view of tensor `name`'s bytes, mapped in place (the same type safetensors files give).
    public func view(_ name: String) throws -> TensorView {
        guard let t = info(name) else { throw SafeTensorsError.tensorNotFound(name: name) }
        return TensorView(locating: t, in: try file.bytes(at: t.begin, count: t.byteCount), at: t.begin)
    }

    private static func locate(_ name: String, _ r: TensorRecord, zip archive: ZipArchive, prefix: String) throws -> TensorInfo {
        let path = archive.file.path
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
        let (dataOffset, bytes) = try archive.storedBytes(of: entry)
        let start = UInt64(r.storageOffset * elementSize), length = UInt64(count * elementSize)
        guard start + length <= UInt64(bytes.count) else {
            throw bad("needs bytes \(start)..<\(start + length) of storage '\(r.storage.key)', which has \(bytes.count)")
        }
        return TensorInfo(name: name, dtype: r.storage.dtype, shape: r.shape.map { UInt64($0) },
                          fileRange: (dataOffset + start)..<(dataOffset + start + length))
    }
}
