import Foundation
import TestSupport
import Testing
@testable import GGUF
import Quantization

final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "hubkit-gguf-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

let sampleMetadata: [(key: String, value: GGUFValue)] = [
    ("general.architecture", .string("llama")),
    ("general.name", .string("tiny ✓")),
    ("test.u8", .uint8(200)), ("test.i8", .int8(-3)), ("test.u16", .uint16(65000)), ("test.i16", .int16(-300)),
    ("test.u32", .uint32(4_000_000_000)), ("test.i32", .int32(-7)), ("test.u64", .uint64(1 << 40)), ("test.i64", .int64(-(1 << 40))),
    ("test.f32", .float32(1e-5)), ("test.f64", .float64(0.1)), ("test.bool", .bool(true)),
    ("test.strings", .strings(["a", "Ġb", ""])), ("test.floats", .floats([0.5, -1])), ("test.ints", .int32s([1, -2, 3])),
]

/// Writes a small file with one tensor of each supported type; returns the f32 sources.
func writeSample(_ path: String, alignment: UInt64 = 32) throws -> [String: [Float]] {
    let types: [(String, GGMLType, [UInt64])] = [("a.f32", .f32, [5]), ("b.f16", .f16, [3, 2]), ("c.bf16", .bf16, [7]),
                                                 ("d.q8", .q8_0, [64, 3]), ("e.q4", .q4_0, [32, 2, 2])]
    let w = try GGUFWriter(path: path, overwrite: false, metadata: sampleMetadata,
                           tensors: types.map { .init(name: $0.0, ne: $0.2, type: $0.1) }, alignment: alignment)
    var src: [String: [Float]] = [:]
    for (name, type, ne) in types {
        let n = Int(ne.reduce(1, *))
        let v = (0..<n).map { Float(($0 * 37) % 23) / 7 - 1.5 }
        src[name] = v
        var out = [UInt8](repeating: 0, count: try Quantizer.byteCount(type, count: n, rowLength: Int(ne[0])))
        try v.withUnsafeBufferPointer { s in try out.withUnsafeMutableBytes { try Quantizer.quantize(s.baseAddress!, count: n, rowLength: Int(ne[0]), to: type, into: $0.baseAddress!) } }
        try out.withUnsafeBytes { try w.write(tensor: name, bytes: $0) }
    }
    try w.finish()
    return src
}

@Suite("GGUFWriter and GGUFFile")
struct GGUFTests {
    @Test("round-trips metadata with exact types and tensors")
    func roundTrip() throws {
        let d = TempDir()
        let src = try writeSample(d.path + "/m.gguf")
        let f = try GGUFFile(path: d.path + "/m.gguf")
        #expect(f.version == 3)
        #expect(f.metadata.map(\.key) == sampleMetadata.map(\.key))
        for (k, v) in sampleMetadata { #expect(f[k] == v, "\(k)") }
        #expect(f.tensors.map(\.name) == ["a.f32", "b.f16", "c.bf16", "d.q8", "e.q4"])
        #expect(try f.floats("a.f32") == src["a.f32"])
        #expect(f.tensors.allSatisfy { $0.offset % 32 == 0 })
        #expect(f.dataStart % 32 == 0)
        let attrs = try FileManager.default.attributesOfItem(atPath: d.path + "/m.gguf")
        #expect((attrs[.size] as? Int).map(UInt64.init) == f.dataStart + f.tensors.last!.offset + 96) // the 72-byte Q4_0 tensor padded to 96
    }

    @Test("gguf-py reads every key, type and tensor we write (also with 64-byte alignment)")
    func readByGGUFPy() throws {
        for alignment: UInt64 in [32, 64] {
            let d = TempDir()
            _ = try writeSample(d.path + "/m.gguf", alignment: alignment)
            let ours = try GGUFFile(path: d.path + "/m.gguf")
            let script = """
            import sys, json, numpy as np
            from gguf import GGUFReader
            from gguf.quants import dequantize
            r = GGUFReader(sys.argv[1])
            out = {"kv": {}, "tensors": {}}
            for f in r.fields.values():
                if f.name.startswith("GGUF."): continue
                out["kv"][f.name] = [int(t) for t in f.types]
            for t in r.tensors:
                out["tensors"][t.name] = {"type": int(t.tensor_type), "shape": [int(x) for x in t.shape],
                    "values": [float(x) for x in dequantize(t.data, t.tensor_type).astype(np.float32).ravel()]}
            print(json.dumps(out))
            """
            let r = try runPython(script, [d.path + "/m.gguf"])
            try #require(r.status == 0, "\(r.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            let kv = json["kv"] as! [String: [Int]]
            for (k, v) in ours.metadata {
                var expected = [Int(v.type.rawValue)]
                if case let .array(t, _) = v { expected.append(Int(t.rawValue)) }
                #expect(kv[k] == expected, "\(k)")
            }
            let tensors = json["tensors"] as! [String: [String: Any]]
            for t in ours.tensors {
                let py = try #require(tensors[t.name])
                #expect(py["type"] as? Int == Int(t.type.rawValue))
                #expect((py["shape"] as? [Int])?.map(UInt64.init) == t.ne)
                #expect((py["values"] as? [Double])?.map { Float($0) } == (try ours.floats(t.name)), "\(t.name)")
            }
        }
    }

    @Test("reads a file written by gguf-py")
    func readsGGUFPyFile() throws {
        let d = TempDir()
        let script = """
        import sys, numpy as np, gguf
        w = gguf.GGUFWriter(sys.argv[1], "llama")
        w.add_uint32("llama.context_length", 256)
        w.add_array("tokenizer.ggml.tokens", ["a", "b"])
        w.add_tensor("x", np.arange(64, dtype=np.float32).reshape(2, 32))
        w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
        """
        let r = try runPython(script, [d.path + "/p.gguf"])
        try #require(r.status == 0, "\(r.stderr)")
        let f = try GGUFFile(path: d.path + "/p.gguf")
        #expect(f["general.architecture"] == .string("llama"))
        #expect(f["llama.context_length"] == .uint32(256))
        #expect(f["tokenizer.ggml.tokens"] == .strings(["a", "b"]))
        #expect(f.tensor("x")?.ne == [32, 2])
        #expect(try f.floats("x") == (0..<64).map(Float.init))
    }

    @Test("writer enforces table order, sizes and completeness, and leaves no file on failure")
    func writerMisuse() throws {
        let d = TempDir()
        let p = d.path + "/w.gguf"
        do {
            let w = try GGUFWriter(path: p, overwrite: false, metadata: [("general.architecture", .string("x"))],
                                   tensors: [.init(name: "a", ne: [4], type: .f32), .init(name: "b", ne: [4], type: .f32)])
            let four = [Float](repeating: 1, count: 4)
            try four.withUnsafeBytes { b in
                #expect(throws: GGUFError.writeOrder(expected: "a", got: "b")) { try w.write(tensor: "b", bytes: b) }
                #expect(throws: GGUFError.writeSize(tensor: "a", expected: 16, got: 8)) { try w.write(tensor: "a", bytes: UnsafeRawBufferPointer(rebasing: b[0..<8])) }
                try w.write(tensor: "a", bytes: b)
            }
            #expect(throws: GGUFError.incomplete(written: 1, declared: 2)) { try w.finish() }
        }
        #expect(!FileManager.default.fileExists(atPath: p))
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.path).isEmpty)
        #expect(throws: GGUFError.self) {
            _ = try GGUFWriter(path: p, overwrite: false, metadata: [], tensors: [.init(name: "q", ne: [48], type: .q8_0)])
        }
        #expect(throws: GGUFError.self) {
            _ = try GGUFWriter(path: p, overwrite: false, metadata: [("k", .bool(true)), ("k", .bool(false))], tensors: [])
        }
    }
}
