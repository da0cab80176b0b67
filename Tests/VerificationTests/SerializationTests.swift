import Foundation
import TestSupport
import Testing
@testable import Verification

@Suite("Reference cache and .npy files")
struct SerializationTests {
    static let run = ReferenceRun(chunks: [[1, 2, 3, 4], [5, 6, 7, 8]], firstScored: 2, vocabSize: 3,
                                  logProbs: [[-1, -2, -3], [-0.5, -1.5, -2.5]], hiddenStates: [[0.25, -1], [2, 3]], hiddenTokens: 1)

    @Test("a reference run round-trips through zstd")
    func roundTrip() throws {
        let bytes = try Self.run.compressed()
        #expect(try ReferenceRun(compressed: bytes, path: "x") == Self.run)
    }

    @Test("truncated, bit-flipped or absurd cache files throw cacheCorrupt, never crash")
    func hostileCache() throws {
        let bytes = try Self.run.compressed()
        for cut in [0, 4, 9, bytes.count / 2, bytes.count - 1] {
            #expect(throws: VerificationError.self) { try ReferenceRun(compressed: Array(bytes.prefix(cut)), path: "x") }
        }
        // Valid zstd around a header claiming 2^19 chunks of 2^23 tokens.
        var w = [UInt8]()
        for v: UInt32 in [0x4356_4B48, 1, 1 << 19, 1 << 23, 1, 3, 1, 2, 2] { withUnsafeBytes(of: v.littleEndian) { w += $0 } }
        let absurd = try Zstd.compress(w)
        #expect(throws: VerificationError.self) { try ReferenceRun(compressed: absurd, path: "x") }
        var flipped = bytes
        flipped[flipped.count / 2] ^= 0xFF
        // Either detected or decoded into some other (bounded) run; it must not crash.
        _ = try? ReferenceRun(compressed: flipped, path: "x")
    }

    @Test(".npy files round-trip and numpy reads ours")
    func npyRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-npy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = NPYArray(shape: [2, 3], values: [1, -2, 3.5, .infinity, 0, -0.25])
        try a.write(to: dir + "/a.npy")
        #expect(try NPYArray(contentsOf: dir + "/a.npy") == a)
        let out = try Python.run("import sys, numpy as np; a = np.load(sys.argv[1]); print(a.dtype, a.shape, a.tolist())", arguments: [dir + "/a.npy"])
        #expect(String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "float32 (2, 3) [[1.0, -2.0, 3.5], [inf, 0.0, -0.25]]")
        try Data([0x93, 0x4E, 0x55]).write(to: URL(fileURLWithPath: dir + "/short.npy"))
        #expect(throws: VerificationError.self) { try NPYArray(contentsOf: dir + "/short.npy") }
        try Python.run("import sys, numpy as np; np.save(sys.argv[1], np.zeros((2, 2), np.float64))", arguments: [dir + "/f64.npy"])
        #expect(throws: VerificationError.self) { try NPYArray(contentsOf: dir + "/f64.npy") }
    }
}

extension SerializationTests {
    @Test("a cache header whose sizes overflow 64-bit arithmetic is refused")
    func overflowingHeader() throws {
        var w = [UInt8]()
        for v: UInt32 in [0x4356_4B48, 1, .max, .max, 0, .max, 1, .max, .max] { withUnsafeBytes(of: v.littleEndian) { w += $0 } }
        #expect(throws: VerificationError.self) { try ReferenceRun(compressed: try Zstd.compress(w), path: "x") }
    }
}

extension SerializationTests {
    @Test("an .npy header with a negative or overflowing shape is refused")
    func hostileNPY() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-npy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for shape in ["(-1, 4)", "(9223372036854775807, 2)", "(4294967296, 4294967296)"] {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            header += String(repeating: " ", count: (64 - (11 + header.utf8.count) % 64) % 64) + "\n"
            let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8) + [0, 0, 0, 0]
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/h.npy"))
            #expect(throws: VerificationError.self) { try NPYArray(contentsOf: dir + "/h.npy") }
        }
    }
}
