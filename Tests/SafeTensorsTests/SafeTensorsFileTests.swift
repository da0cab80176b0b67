import Foundation
import Testing
@testable import SafeTensors

/// A temporary folder deleted when the value goes away.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "hubkit-st-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = path + "/" + name
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
}

/// Builds a safetensors file by hand from a header string and a data buffer.
func rawFile(header: String, data: [UInt8], lengthOverride: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    var out = withUnsafeBytes(of: (lengthOverride ?? UInt64(h.count)).littleEndian) { Array($0) }
    out += h
    out += data
    return out
}

func sample() -> [UInt8] {
    var w = SafeTensorsWriter()
    w.add(.init(name: "a", dtype: .f32, shape: [2, 2], values: [1, -2, 3.5, 4]))
    w.add(.init(name: "b", dtype: .f16, shape: [3], values: [0.5, -1, 2]))
    w.add(.init(name: "c", dtype: .bf16, shape: [2], values: [1.5, -3]))
    return w.serialized()
}

func expectError(_ bytes: [UInt8], _ check: (SafeTensorsError) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) {
    let dir = TempDir()
    let p = dir.write("m.safetensors", bytes)
    do {
        _ = try SafeTensorsFile(path: p)
        Issue.record("expected an error", sourceLocation: sourceLocation)
    } catch let e as SafeTensorsError {
        #expect(check(e), "got \(e)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("SafeTensorsFile")
struct SafeTensorsFileTests {
    @Test("reads tensors and widens F32, F16 and BF16 exactly")
    func roundTrip() throws {
        let dir = TempDir()
        let f = try SafeTensorsFile(path: dir.write("m.safetensors", sample()))
        #expect(f.tensors.map(\.name).sorted() == ["a", "b", "c"])
        #expect(f.metadata["format"] == "pt")
        #expect(try f.view("a").floats() == [1, -2, 3.5, 4])
        #expect(try f.view("b").floats() == [0.5, -1, 2])
        #expect(try f.view("c").floats() == [1.5, -3])
        #expect(try f.view("a").shape == [2, 2])
        #expect(throws: SafeTensorsError.tensorNotFound(name: "zz")) { try f.view("zz") }
    }

    @Test("rejects a truncated file with the header-length or coverage error")
    func truncate() {
        let bytes = sample()
        expectError(Array(bytes.prefix(5))) { if case .headerTooSmall = $0 { return true }; return false }
        expectError(Array(bytes.prefix(20))) { if case .invalidHeaderLength = $0 { return true }; return false }
        expectError(Array(bytes.dropLast(3))) { if case .metadataIncompleteBuffer = $0 { return true }; return false }
        expectError(bytes + [0]) { if case .metadataIncompleteBuffer = $0 { return true }; return false }
    }

    @Test("rejects a 2^60 header length as too large")
    func hugeHeader() {
        var bytes = sample()
        withUnsafeBytes(of: (UInt64(1) << 60).littleEndian) { for i in 0..<8 { bytes[i] = $0[i] } }
        expectError(bytes) { if case .headerTooLarge(_, 1 << 60) = $0 { return true }; return false }
    }

    @Test("rejects a flipped offset naming the tensor")
    func flippedOffset() {
        let data = [UInt8](repeating: 0, count: 16)
        let hdr = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[9,17]}}"#
        expectError(rawFile(header: hdr, data: data + [0])) {
            if case let .invalidOffset(_, tensor, 9, 17, 8) = $0 { return tensor == "y" }; return false
        }
    }

    @Test("rejects overlapping offsets")
    func overlap() {
        let hdr = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        expectError(rawFile(header: hdr, data: [UInt8](repeating: 0, count: 12))) {
            if case let .invalidOffset(_, tensor, 4, 12, 8) = $0 { return tensor == "y" }; return false
        }
    }

    @Test("rejects a reversed range")
    func reversed() {
        let hdr = #"{"x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"y":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"z":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#
        expectError(rawFile(header: hdr, data: [])) {
            if case .invalidOffset(_, "z", 8, 0, 0) = $0 { return true }; return false
        }
    }

    @Test("rejects a shape that does not match the byte length")
    func wrongShape() {
        let hdr = #"{"x":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}"#
        expectError(rawFile(header: hdr, data: [UInt8](repeating: 0, count: 8))) {
            if case let .tensorInvalidInfo(_, "x", .f16, [3], 8, expected) = $0 { return expected == 6 }; return false
        }
    }

    @Test("rejects an overflowing shape and a sub-byte remainder")
    func overflowAndMisaligned() {
        let big = #"{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#
        expectError(rawFile(header: big, data: [])) { if case .validationOverflow(_, "x") = $0 { return true }; return false }
        let f4 = #"{"x":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}"#
        expectError(rawFile(header: f4, data: [0])) { if case .misalignedSlice(_, "x") = $0 { return true }; return false }
    }

    @Test("rejects duplicate tensor names explicitly")
    func duplicates() {
        let hdr = #"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"x":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#
        expectError(rawFile(header: hdr, data: [1, 2])) { $0 == .duplicateTensor(path: ($0.pathOf ?? ""), name: "x") }
    }

    @Test("rejects malformed JSON, bad UTF-8, unknown dtypes, negative or fractional integers and non-string metadata")
    func schema() {
        let cases = [
            #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#,
            #"{"x":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#,
            #"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
            #"{"x":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#,
            #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}"#,
            #"{"__metadata__":{"a":1},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
            #"[1,2]"#,
        ]
        for h in cases {
            expectError(rawFile(header: h, data: [0, 0, 0, 0])) { if case .invalidJSON = $0 { return true }; return false }
        }
        var bad = rawFile(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        bad[10] = 0xFF
        expectError(bad) { if case .invalidUTF8 = $0 { return true }; return false }
    }

    @Test("never crashes on random corruptions of a valid file")
    func randomMutations() throws {
        let base = sample()
        var rng = SystemRandomNumberGenerator()
        let dir = TempDir()
        for i in 0..<300 {
            var b = base
            for _ in 0..<(1 + i % 4) {
                let at = Int.random(in: 0..<b.count, using: &rng)
                b[at] = UInt8.random(in: 0...255, using: &rng)
            }
            let p = dir.write("m\(i % 5).safetensors", b)
            if let f = try? SafeTensorsFile(path: p) {
                for t in f.tensors { _ = try? f.view(t.name).floats() }
            }
        }
    }
}

extension SafeTensorsError {
    var pathOf: String? {
        if case let .duplicateTensor(path, _) = self { return path }
        return nil
    }
}
