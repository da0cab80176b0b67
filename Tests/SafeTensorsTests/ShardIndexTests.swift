import Foundation
import TestSupport
import Testing
@testable import SafeTensors

func shard(_ tensors: [(String, [Float])]) -> [UInt8] {
    var w = SafeTensorsWriter()
    for (n, v) in tensors { w.add(.init(name: n, dtype: .f16, shape: [v.count], values: v)) }
    return w.serialized()
}

func index(_ map: [(String, String)]) -> [UInt8] {
    let entries = map.map { "\"\($0.0)\": \"\($0.1)\"" }.joined(separator: ", ")
    return Array("{\"metadata\": {\"total_size\": 12}, \"weight_map\": {\(entries)}}".utf8)
}

@Suite("ShardIndex and SafeTensorsModel")
struct ShardIndexTests {
    func folder(shards: [(String, [(String, [Float])])], map: [(String, String)]?) -> TempDir {
        let dir = TempDir()
        for (name, tensors) in shards { _ = dir.write(name, shard(tensors)) }
        if let map { _ = dir.write(ShardIndex.fileName, index(map)) }
        return dir
    }

    @Test("opens a sharded model through its index, in shard then offset order")
    func sharded() throws {
        let dir = folder(shards: [("s1.safetensors", [("b", [1, 2]), ("a", [3])]), ("s2.safetensors", [("c", [4])])],
                         map: [("a", "s1.safetensors"), ("b", "s1.safetensors"), ("c", "s2.safetensors")])
        let m = try SafeTensorsModel(folder: dir.path)
        #expect(m.entries.map(\.info.name) == ["a", "b", "c"])
        #expect(try m.view("c").floats() == [4])
        #expect(m.totalTensorBytes == 8)
    }

    @Test("names a missing shard")
    func missingShard() {
        let dir = folder(shards: [("s1.safetensors", [("a", [1])])], map: [("a", "s1.safetensors"), ("b", "s2.safetensors")])
        #expect(throws: SafeTensorsError.missingShard(shard: "s2.safetensors", folder: dir.path, firstTensor: "b")) {
            try SafeTensorsModel(folder: dir.path)
        }
    }

    @Test("names a tensor listed twice in the index or held by two shards")
    func listedTwice() {
        let dir = folder(shards: [("s1.safetensors", [("a", [1])])], map: [("a", "s1.safetensors"), ("a", "s1.safetensors")])
        #expect(throws: SafeTensorsError.tensorListedTwice(name: "a", first: dir.path + "/" + ShardIndex.fileName, second: dir.path + "/" + ShardIndex.fileName)) {
            try SafeTensorsModel(folder: dir.path)
        }
        let dir2 = folder(shards: [("s1.safetensors", [("a", [1])]), ("s2.safetensors", [("a", [2])])],
                          map: [("a", "s1.safetensors"), ("b", "s2.safetensors")])
        #expect(throws: SafeTensorsError.tensorListedTwice(name: "a", first: "s1.safetensors", second: "s2.safetensors")) {
            try SafeTensorsModel(folder: dir2.path)
        }
    }

    @Test("checks that the index and the shards list the same tensors")
    func union() {
        let dir = folder(shards: [("s1.safetensors", [("a", [1])])], map: [("a", "s1.safetensors"), ("z", "s1.safetensors")])
        #expect(throws: SafeTensorsError.tensorMissingFromShard(name: "z", shard: "s1.safetensors")) { try SafeTensorsModel(folder: dir.path) }
        let dir2 = folder(shards: [("s1.safetensors", [("a", [1]), ("extra", [2])])], map: [("a", "s1.safetensors")])
        #expect(throws: SafeTensorsError.tensorNotInIndex(name: "extra", shard: "s1.safetensors")) { try SafeTensorsModel(folder: dir2.path) }
    }

    @Test("refuses shard names that leave the folder")
    func pathEscape() {
        let dir = folder(shards: [], map: [("a", "../etc/passwd")])
        #expect(throws: (any Error).self) { try SafeTensorsModel(folder: dir.path) }
        do { _ = try SafeTensorsModel(folder: dir.path) } catch let e as SafeTensorsError {
            if case .invalidIndex = e {} else { Issue.record("got \(e)") }
        } catch { Issue.record("got \(error)") }
    }

    @Test("reads what the Python safetensors package writes")
    func pythonWritten() throws {
        let dir = TempDir()
        let script = """
        import sys, numpy as np
        from safetensors.numpy import save_file
        rng = np.random.default_rng(7)
        t = {"w32": rng.standard_normal((3, 5)).astype(np.float32), "w16": rng.standard_normal((4,)).astype(np.float16),
             "i8": np.arange(6, dtype=np.int8).reshape(2, 3), "empty": np.zeros((0, 4), np.float32)}
        save_file(t, sys.argv[1], metadata={"format": "np"})
        for k in ("w32", "w16"):
            print(k, " ".join(repr(float(x)) for x in t[k].astype(np.float32).ravel()))
        """
        let r = try runPython(script, [dir.path + "/p.safetensors"])
        try #require(r.status == 0, "\(r.stderr)")
        let f = try SafeTensorsFile(path: dir.path + "/p.safetensors")
        #expect(f.metadata == ["format": "np"])
        #expect(f.info("i8")?.shape == [2, 3])
        #expect(f.info("empty")?.byteCount == 0)
        for line in r.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let expected = parts.dropFirst().map { Float(Double(String($0))!) }
            #expect(try f.view(String(parts[0])).floats() == expected)
        }
    }
}
