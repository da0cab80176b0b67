import Foundation
import Testing
@testable import PyTorchCheckpoint
import SafeTensors
import TensorCore
import TestSupport

/// Runs `make_checkpoint.py` (a torch.save look-alike needing only numpy) into a temp folder.
private func makeCheckpoint(_ spec: String, _ extra: [String] = []) throws -> (dir: URL, path: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("torchckpt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let out = dir.appendingPathComponent("pytorch_model.bin").path
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("make_checkpoint.py").path
    let r = try runProcess("/usr/bin/env", ["python3", script, out, spec] + extra, timeout: 120)
    guard r.status == 0 else { throw Python.Failure(description: "make_checkpoint.py: \(r.stderr)") }
    return (dir, out)
}

private func floats(_ c: TorchCheckpoint, _ t: TensorInfo) throws -> [Float] {
    try c.view(t.name).floats()
}

private func expectedValues(_ n: Int) -> [Float] { (0..<n).map { Float($0 % 251 - 125) } }

@Suite("TorchCheckpoint")
struct TorchCheckpointTests {
    @Test("reads F32, F16 and BF16 tensors of a torch.save state dict in order")
    func readsStateDict() throws {
        let spec = #"[{"name":"model.embed_tokens.weight","dtype":"F32","shape":[10,8]},{"name":"model.norm.weight","dtype":"F16","shape":[300]},{"name":"lm_head.weight","dtype":"BF16","shape":[2,3,4]}]"#
        let (dir, path) = try makeCheckpoint(spec)
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try TorchCheckpoint(path: path)
        #expect(c.tensors.map(\.name) == ["model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"])
        #expect(c.tensors.map(\.dtype) == [.f32, .f16, .bf16])
        #expect(c.tensors[2].shape == [2, 3, 4])
        for t in c.tensors {
            #expect(try floats(c, t) == expectedValues(Int(t.elementCount)))
        }
    }

    @Test("finds tensors stored past 4 GiB through ZIP64 records")
    func zip64() throws {
        let spec = #"[{"name":"a","dtype":"F16","shape":[64]},{"name":"b","dtype":"F32","shape":[5,7]}]"#
        let (dir, path) = try makeCheckpoint(spec, ["--sparse-gap", String((1 << 32) + 4096), "--prefix", "pytorch_model"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try TorchCheckpoint(path: path)
        #expect(c.file.size > 1 << 32)
        #expect(c.tensors.allSatisfy { $0.begin > 1 << 32 })
        for t in c.tensors { #expect(try floats(c, t) == expectedValues(Int(t.elementCount))) }
    }

    @Test("plans from a few small pieces (zip tail, data.pkl), ZIP64 included: the same names, dtypes and shapes as the opened file")
    func plansFromPieces() throws {
        let spec = #"[{"name":"a","dtype":"F16","shape":[64]},{"name":"b","dtype":"F32","shape":[5,7]},{"name":"c","dtype":"BF16","shape":[3,2]}]"#
        let (dir, path) = try makeCheckpoint(spec, ["--sparse-gap", String((1 << 32) + 4096), "--prefix", "pytorch_model"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try MappedFile(path: path)
        let log = ReadLog(file)
        let planned = try TorchCheckpoint.plannedTensors(source: log)
        let opened = try TorchCheckpoint(path: path).tensors
        #expect(planned.map(\.name) == opened.map(\.name) && planned.map(\.dtype) == opened.map(\.dtype) && planned.map(\.shape) == opened.map(\.shape))
        #expect(planned.map(\.byteCount) == opened.map(\.byteCount))
        // Of a 4 GiB file, three pieces: the tail window (directory and ZIP64 records), data.pkl's
        // local header, data.pkl.
        #expect(log.reads.count <= 3 && log.reads.reduce(0) { $0 + $1.count } < 70_000, "\(log.reads)")
    }

    @Test("refuses a pickle that calls os.system, without running it")
    func refusesCode() throws {
        let marker = "/tmp/hubkit-pwned"
        try? FileManager.default.removeItem(atPath: marker)
        let (dir, path) = try makeCheckpoint(#"[{"name":"a","dtype":"F32","shape":[2]}]"#, ["--evil"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect {
            try TorchCheckpoint(path: path)
        } throws: { error in
            guard case let TorchCheckpointError.forbiddenGlobal(_, module, name) = error else { return false }
            return module == "posix" || module == "os" ? name == "system" : false
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("refuses non-contiguous views instead of reading them wrong")
    func refusesStrides() throws {
        let (dir, path) = try makeCheckpoint(#"[{"name":"w","dtype":"F32","shape":[4,3]}]"#, ["--noncontiguous"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: TorchCheckpointError.self) { try TorchCheckpoint(path: path) }
    }

    @Test("every truncation of a checkpoint throws, never crashes")
    func truncations() throws {
        let (dir, path) = try makeCheckpoint(#"[{"name":"w","dtype":"F16","shape":[4,3]},{"name":"b","dtype":"F32","shape":[3]}]"#)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = dir.appendingPathComponent("cut.bin").path
        for length in stride(from: 0, to: bytes.count, by: 7) {
            try bytes.prefix(length).write(to: URL(fileURLWithPath: cut))
            #expect(throws: (any Error).self) { try TorchCheckpoint(path: cut) }
        }
    }

    @Test("every single-byte corruption of the pickle throws or reads within bounds")
    func pickleMutations() throws {
        let (dir, path) = try makeCheckpoint(#"[{"name":"w","dtype":"F16","shape":[4,3]}]"#)
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let mutated = dir.appendingPathComponent("m.bin").path
        // data.pkl is the first entry: its bytes follow the 30-byte local header and its name.
        let start = 30 + "archive/data.pkl".utf8.count
        for i in start..<(start + 200) {
            for v: UInt8 in [0x00, 0xFF, 0x7F, original[i] ^ 0x01] {
                var copy = original
                copy[i] = v
                try copy.write(to: URL(fileURLWithPath: mutated))
                if let c = try? TorchCheckpoint(path: mutated) {
                    for t in c.tensors { #expect(t.end <= c.file.size) }
                }
            }
        }
    }
}

@Suite("PickleMachine")
struct PickleMachineTests {
    private func run(_ bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { raw in
            var m = PickleMachine(path: "test.pkl", bytes: raw)
            return try m.run()
        }
    }

    @Test("refuses a million nested tuples instead of recursing")
    func deepTuples() {
        let bytes: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        #expect(throws: TorchCheckpointError.self) { try run(bytes) }
    }

    @Test("lists nested through the memo do not recurse on release")
    func deepLists() throws {
        // Each round: EMPTY_LIST MEMOIZE APPEND (into the current list) LONG_BINGET k (make it current),
        // so list k+1 sits inside list k: a chain 200,000 deep.
        var bytes: [UInt8] = [0x80, 0x02, 0x5D]
        for k in 0..<200_000 {
            bytes += [0x5D, 0x94, 0x61, 0x6A]
            withUnsafeBytes(of: UInt32(k).littleEndian) { bytes += $0 }
        }
        bytes += [0x2E]
        guard case .list = try run(bytes) else { Issue.record("expected a list"); return }
    }

    @Test("rejects stack underflow, unknown opcodes and dangling memo references")
    func malformed() {
        #expect(throws: TorchCheckpointError.self) { try run([0x80, 0x02, 0x2E]) }
        #expect(throws: TorchCheckpointError.self) { try run([0x80, 0x02, 0x49, 0x2E]) }
        #expect(throws: TorchCheckpointError.self) { try run([0x80, 0x02, 0x68, 0x07, 0x2E]) }
        #expect(throws: TorchCheckpointError.self) { try run([0x80, 0x02, 0x63] + Array("builtins\neval\n".utf8) + [0x2E]) }
    }
}

/// A byte source that records which ranges a parser read.
private final class ReadLog: ByteSource {
    let file: MappedFile
    var reads: [Range<UInt64>] = []
    init(_ file: MappedFile) { self.file = file }
    var path: String { file.path }
    var size: UInt64 { file.size }
    /// Reads not inside an earlier one: what a remote source (`RemoteBytes`) would fetch.
    func bytes(at offset: UInt64, count length: UInt64) throws -> UnsafeRawBufferPointer {
        let r = offset..<(offset + length)
        if !reads.contains(where: { $0.lowerBound <= r.lowerBound && r.upperBound <= $0.upperBound }) { reads.append(r) }
        return try file.bytes(at: offset, count: length)
    }
}
