#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Quantization
import TensorCore

/// Writes a GGUF v3 file in one streaming pass.
///
/// Every tensor's name, shape and type is declared up front, so the header, metadata and tensor
/// table (with final offsets) are written first; then tensor data is streamed one tensor at a time
/// in table order, each padded to the alignment. Peak memory is the header plus one tensor. The
/// file lives under a temporary name until `finish()` renames it, so a failure never leaves a
/// half-written file under the final name.
public final class GGUFWriter {
    /// A tensor to be written: name, ggml-order dims, type.
    public struct Declaration: Sendable {
        public let name: String
        public let ne: [UInt64]
        public let type: GGMLType
        public init(name: String, ne: [UInt64], type: GGMLType) {
            self.name = name
            self.ne = ne
            self.type = type
        }
    }

    public let path: String
    public let alignment: UInt64
    public let tensors: [GGUFTensorInfo]
    /// Bytes of header + metadata + tensor table + padding.
    public let headerSize: UInt64
    /// Final file size.
    public let fileSize: UInt64
    private let output: AtomicOutputFile
    private var next = 0
    private var partial: UInt64 = 0

    /// Plans the layout without writing: tensor infos with offsets, header bytes, total size.
    public static func layout(metadata: [(key: String, value: GGUFValue)], tensors: [Declaration], alignment: UInt64 = ggufDefaultAlignment) throws
        -> (infos: [GGUFTensorInfo], header: [UInt8], fileSize: UInt64)
    {
        var seenKeys = Set<String>()
        for (k, v) in metadata {
            guard !k.isEmpty, k.utf8.count <= 65535 else { throw GGUFError.invalidKey(path: "", key: k, reason: "empty or too long") }
            guard seenKeys.insert(k).inserted else { throw GGUFError.invalidKey(path: "", key: k, reason: "duplicate key") }
            if case let .array(t, values) = v {
                guard t != .array, !values.isEmpty, values.allSatisfy({ $0.type == t }) else {
                    throw GGUFError.invalidKey(path: "", key: k, reason: "arrays must be non-empty, not nested, and of one type")
                }
            }
        }
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment % 8 == 0 else {
            throw GGUFError.invalidKey(path: "", key: "general.alignment", reason: "alignment \(alignment) is not a power of two ≥ 8")
        }
        var seenNames = Set<String>()
        var offset: UInt64 = 0
        var infos: [GGUFTensorInfo] = []
        for d in tensors {
            guard d.name.utf8.count < 64, !d.name.isEmpty else { throw GGUFError.invalidTensorInfo(path: "", tensor: d.name, reason: "name must be 1–63 bytes") }
            guard seenNames.insert(d.name).inserted else { throw GGUFError.invalidTensorInfo(path: "", tensor: d.name, reason: "duplicate tensor name") }
            guard (1...4).contains(d.ne.count) else { throw GGUFError.invalidTensorInfo(path: "", tensor: d.name, reason: "\(d.ne.count) dimensions (1–4 allowed)") }
            guard d.ne[0] % UInt64(d.type.blockSize) == 0 else {
                throw GGUFError.invalidTensorInfo(path: "", tensor: d.name, reason: "row of \(d.ne[0]) is not a multiple of \(d.type.name)'s block size \(d.type.blockSize)")
            }
            guard GGUFTensorInfo.byteCount(ne: d.ne, type: d.type) != nil else { throw GGUFError.invalidTensorInfo(path: "", tensor: d.name, reason: "byte size overflows") }
            let info = GGUFTensorInfo(name: d.name, ne: d.ne, type: d.type, offset: offset)
            infos.append(info)
            offset = aligned(offset + info.byteCount, to: alignment)
        }
        let header = GGUFEncoding.header(metadata: metadata, tensors: infos, alignment: alignment)
        return (infos, header, UInt64(header.count) + offset)
    }

    /// Validates the plan, creates the temporary file and writes everything before the data.
    /// `general.alignment` is added (as UINT32) when `alignment` is not the default 32.
    /// With `preallocate` the temporary file is sized to the final size at once (sparse), so a
    /// reader can map it and read each tensor as soon as it has been written.
    public init(path: String, overwrite: Bool, metadata: [(key: String, value: GGUFValue)], tensors: [Declaration],
                alignment: UInt64 = ggufDefaultAlignment, preallocate: Bool = false) throws {
        var kv = metadata
        if alignment != ggufDefaultAlignment, !kv.contains(where: { $0.key == "general.alignment" }) {
            kv.append((key: "general.alignment", value: .uint32(UInt32(alignment))))
        }
        let plan = try Self.layout(metadata: kv, tensors: tensors, alignment: alignment)
        self.path = path
        self.alignment = alignment
        self.tensors = plan.infos
        headerSize = UInt64(plan.header.count)
        fileSize = plan.fileSize
        do {
            output = try AtomicOutputFile(destination: path, overwrite: overwrite)
        } catch {
            throw GGUFError.io(path: path, reason: "\(error)")
        }
        if preallocate, ftruncate(output.handle.fileDescriptor, off_t(plan.fileSize)) != 0 {
            throw GGUFError.io(path: output.temporaryPath, reason: "cannot size the file to \(plan.fileSize) bytes: \(String(cString: strerror(errno)))")
        }
        try plan.header.withUnsafeBytes { try writeAll($0) }
    }

    /// Where the file is written until `finish()` renames it.
    public var temporaryPath: String { output.temporaryPath }

    /// The tensor whose data must come next, or nil when all are written.
    public var nextTensor: GGUFTensorInfo? { next < tensors.count ? tensors[next] : nil }

    /// Appends the whole data of the next tensor (`name` must match the table order) plus padding.
    public func write(tensor name: String, bytes: UnsafeRawBufferPointer) throws {
        guard let info = nextTensor, info.name == name, partial == 0 else {
            throw GGUFError.writeOrder(expected: nextTensor?.name ?? "(none)", got: name)
        }
        guard UInt64(bytes.count) == info.byteCount else { throw GGUFError.writeSize(tensor: name, expected: Int(info.byteCount), got: bytes.count) }
        try append(tensor: name, bytes: bytes)
    }

    /// Appends part of the next tensor's data; after its last byte the padding is written and the
    /// writer moves to the following tensor. Lets a converter stream a huge tensor in row chunks.
    public func append(tensor name: String, bytes: UnsafeRawBufferPointer) throws {
        guard let info = nextTensor else { throw GGUFError.writeOrder(expected: "(none)", got: name) }
        guard info.name == name else { throw GGUFError.writeOrder(expected: info.name, got: name) }
        guard partial + UInt64(bytes.count) <= info.byteCount else {
            throw GGUFError.writeSize(tensor: name, expected: Int(info.byteCount), got: Int(partial) + bytes.count)
        }
        try writeAll(bytes)
        partial += UInt64(bytes.count)
        if partial == info.byteCount {
            let pad = Int(padding(for: info.byteCount, alignment: alignment))
            if pad > 0 {
                let zeros = [UInt8](repeating: 0, count: pad)
                try zeros.withUnsafeBytes { try writeAll($0) }
            }
            partial = 0
            next += 1
        }
    }

    /// Checks every tensor was written, re-reads the header of the temporary file with the
    /// validating reader, then flushes and renames it into place.
    public func finish() throws {
        let file = try complete()
        do {
            try file.commit()
        } catch {
            throw GGUFError.io(path: path, reason: "\(error)")
        }
    }

    /// `finish()` without the rename: the checked file stays under its temporary name until the
    /// caller commits the returned file (deleted if it never does), e.g. after a verification.
    public func complete() throws -> AtomicOutputFile {
        guard next == tensors.count else { throw GGUFError.incomplete(written: next, declared: tensors.count) }
        let check = try GGUFFile(path: output.temporaryPath)
        guard check.tensors == tensors else { throw GGUFError.io(path: path, reason: "written tensor table does not read back") }
        return output
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        let fd = output.handle.fileDescriptor
        while left > 0 {
            let n = Glibc.write(fd, p, min(left, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw GGUFError.io(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            p += n
            left -= n
        }
    }
}
