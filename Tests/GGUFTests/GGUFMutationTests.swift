import Foundation
import Testing
@testable import GGUF
import Quantization
import TensorCore

func validate(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { _ = try GGUFFile.validate(bytes: $0) } }

/// A minimal file: header + given KV bytes + given tensor infos.
func handmade(version: UInt32 = 3, tensors: UInt64 = 0, kvs: UInt64 = 0, body: (inout ByteWriter) -> Void) -> [UInt8] {
    var w = ByteWriter()
    w.write(UInt32(0x4655_4747)); w.write(version); w.write(tensors); w.write(kvs)
    body(&w)
    return w.bytes
}

func str(_ s: String, _ w: inout ByteWriter) { w.write(UInt64(s.utf8.count)); w.write(bytes: s.utf8) }

@Suite("GGUF reader mutations")
struct GGUFMutationTests {
    func sample() throws -> [UInt8] {
        let d = TempDir()
        _ = try writeSample(d.path + "/m.gguf")
        return [UInt8](FileManager.default.contents(atPath: d.path + "/m.gguf")!)
    }

    @Test("rejects bad magic, version 1 and 4, and truncation")
    func header() throws {
        var b = try sample()
        b[0] = 0x46
        #expect(throws: GGUFError.badMagic(path: "<memory>", found: 0x4655_4746)) { try validate(b) }
        for v: UInt32 in [1, 4] {
            #expect(throws: GGUFError.unsupportedVersion(path: "<memory>", version: v)) { try validate(handmade(version: v) { _ in }) }
        }
        let full = try sample()
        for cut in [3, 20, 100, full.count / 2, full.count - 1] {
            #expect(throws: GGUFError.self) { try validate(Array(full.prefix(cut))) }
        }
    }

    @Test("rejects absurd counts and string lengths before allocating")
    func counts() {
        #expect(throws: GGUFError.implausibleCount(path: "<memory>", what: "metadata", count: 1 << 60)) { try validate(handmade(kvs: 1 << 60) { _ in }) }
        #expect(throws: GGUFError.implausibleCount(path: "<memory>", what: "tensor", count: 1 << 40)) { try validate(handmade(tensors: 1 << 40) { _ in }) }
        let longKey = handmade(kvs: 1) { w in w.write(UInt64(1) << 62); w.write(bytes: [UInt8](repeating: 0x61, count: 20)) }
        #expect(throws: GGUFError.invalidString(path: "<memory>", offset: 24, reason: "length 4611686018427387904 exceeds the file or the 1 GiB limit")) { try validate(longKey) }
        let bigArray = handmade(kvs: 1) { w in str("k", &w); w.write(UInt32(9)); w.write(UInt32(4)); w.write(UInt64(1) << 50); w.write(bytes: [0, 0, 0, 0]) }
        #expect(throws: GGUFError.implausibleCount(path: "<memory>", what: "array `k` element", count: 1 << 50)) { try validate(bigArray) }
    }

    @Test("rejects nested arrays, bad value types, bad bools, duplicate and empty keys, bad alignment")
    func metadata() {
        let nested = handmade(kvs: 1) { w in str("k", &w); w.write(UInt32(9)); w.write(UInt32(9)); w.write(UInt64(1)); w.write(UInt32(4)); w.write(UInt64(0)) }
        #expect(throws: GGUFError.invalidValueType(path: "<memory>", key: "k", type: 9)) { try validate(nested) }
        let badType = handmade(kvs: 1) { w in str("k", &w); w.write(UInt32(13)); w.write(UInt64(0)) }
        #expect(throws: GGUFError.invalidValueType(path: "<memory>", key: "k", type: 13)) { try validate(badType) }
        let badBool = handmade(kvs: 1) { w in str("k", &w); w.write(UInt32(7)); w.write(UInt8(2)); w.write(bytes: [UInt8](repeating: 0, count: 20)) }
        #expect(throws: GGUFError.self) { try validate(badBool) }
        let dup = handmade(kvs: 2) { w in for _ in 0..<2 { str("k", &w); w.write(UInt32(0)); w.write(UInt8(1)) } }
        #expect(throws: GGUFError.invalidKey(path: "<memory>", key: "k", reason: "duplicate key")) { try validate(dup) }
        let empty = handmade(kvs: 1) { w in str("", &w); w.write(UInt32(0)); w.write(UInt8(1)) }
        #expect(throws: GGUFError.invalidKey(path: "<memory>", key: "", reason: "empty key")) { try validate(empty) }
        let align = handmade(kvs: 1) { w in str("general.alignment", &w); w.write(UInt32(4)); w.write(UInt32(48)) }
        #expect(throws: GGUFError.self) { try validate(align) }
        let align64 = handmade(kvs: 1) { w in str("general.alignment", &w); w.write(UInt32(10)); w.write(UInt64(64)) }
        #expect(throws: GGUFError.self) { try validate(align64) }
    }

    @Test("rejects bad tensor infos: dims, names, types, partial blocks, offsets, data past the end")
    func tensorInfos() {
        func one(name: String = "t", dims: [UInt64] = [32], type: UInt32 = 0, offset: UInt64 = 0, data: Int = 128) -> [UInt8] {
            var b = handmade(tensors: 1) { w in
                str(name, &w); w.write(UInt32(dims.count)); for d in dims { w.write(d) }; w.write(type); w.write(offset)
            }
            while b.count % 32 != 0 { b.append(0) }
            return b + [UInt8](repeating: 0, count: data)
        }
        #expect(throws: Never.self) { try validate(one()) }
        #expect(throws: GGUFError.self) { try validate(one(dims: [])) }
        #expect(throws: GGUFError.self) { try validate(one(dims: [1, 1, 1, 1, 1])) }
        #expect(throws: GGUFError.self) { try validate(one(name: String(repeating: "n", count: 64))) }
        #expect(throws: GGUFError.unknownTensorType(path: "<memory>", tensor: "t", type: 4)) { try validate(one(type: 4)) }
        #expect(throws: GGUFError.self) { try validate(one(dims: [48], type: 8)) }
        #expect(throws: GGUFError.tensorOffsetMismatch(path: "<memory>", tensor: "t", offset: 32, expected: 0)) { try validate(one(offset: 32)) }
        #expect(throws: GGUFError.self) { try validate(one(data: 100)) }
        #expect(throws: GGUFError.self) { try validate(one(dims: [UInt64(1) << 62, 4])) }
        #expect(throws: GGUFError.self) { try validate(one(dims: [UInt64.max])) }
        // Regression (found by the random-corruption test): elements fit int64 but bytes overflow.
        #expect(throws: GGUFError.invalidTensorInfo(path: "<memory>", tensor: "t", reason: "byte size overflows")) {
            try validate(one(dims: [UInt64(1) << 62], type: 0))
        }
    }

    @Test("never crashes on random corruptions")
    func random() throws {
        let base = try sample()
        var rng = SystemRandomNumberGenerator()
        for i in 0..<2000 {
            var b = base
            for _ in 0..<(1 + i % 3) { b[Int.random(in: 0..<min(b.count, 600), using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            if i % 7 == 0 { b = Array(b.prefix(Int.random(in: 0..<b.count, using: &rng))) }
            _ = try? validate(b)
        }
    }
}
