import Foundation
import Testing
@testable import SafeTensors

/// Two shards written to a temp folder; their headers parsed from the files' first bytes, as pull
/// reads them from the Hub with ranged requests.
private struct TwoShards {
    let dir: String
    let shards: [ArrivingWeights.Shard]

    init() throws {
        let dir = NSTemporaryDirectory() + "hubkit-arriving-\(UUID().uuidString)"
        self.dir = dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var a = SafeTensorsWriter(), b = SafeTensorsWriter()
        a.add(.init(name: "x", dtype: .f32, shape: [2, 2], values: [1, 2, 3, 4]))
        a.add(.init(name: "y", dtype: .f32, shape: [3], values: [5, 6, 7]))
        b.add(.init(name: "z", dtype: .f32, shape: [2], values: [8, 9]))
        try a.write(to: dir + "/model-00001-of-00002.safetensors")
        try b.write(to: dir + "/model-00002-of-00002.safetensors")
        shards = try ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"].map { name in
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
            let header = try bytes.withUnsafeBytes { try SafeTensorsHeader.parse($0, fileSize: UInt64(bytes.count), path: name) }
            return ArrivingWeights.Shard(name: name, fileSize: UInt64(bytes.count), header: header)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

/// A flag set from another thread.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value: [String] = []
    func add(_ s: String) { lock.withLock { value.append(s) } }
    var items: [String] { lock.withLock { value } }
}

@Suite("ArrivingWeights")
struct ArrivingWeightsTests {
    @Test("plans from headers, blocks a view until its shard is ready, then reads the real bytes")
    func waitsForShard() throws {
        let s = try TwoShards()
        defer { s.remove() }
        let w = try ArrivingWeights(folder: s.dir, shards: s.shards, index: nil)
        #expect(w.entries.map(\.info.name) == ["x", "y", "z"])
        #expect(w.entry("z")?.shard == "model-00002-of-00002.safetensors")
        let got = Flag()
        let done = DispatchSemaphore(value: 0)
        Thread {
            if let v = try? w.view("z"), let f = try? v.floats() { got.add(f.map { String($0) }.joined(separator: ",")) }
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(got.items.isEmpty)  // still waiting: shard 2 has not arrived
        w.markReady("model-00002-of-00002.safetensors", path: s.dir + "/model-00002-of-00002.safetensors")
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(got.items == ["8.0,9.0"])
        let e = try #require(w.shardEvents["model-00002-of-00002.safetensors"])
        #expect(e.readyAt != nil && e.firstViewAt != nil && e.readyAt! <= e.firstViewAt!)
    }

    @Test("a failed download wakes waiting readers with the error")
    func failure() throws {
        let s = try TwoShards()
        defer { s.remove() }
        let w = try ArrivingWeights(folder: s.dir, shards: s.shards, index: nil)
        let got = Flag()
        let done = DispatchSemaphore(value: 0)
        Thread {
            do { _ = try w.view("x") } catch { got.add("\(error)") }
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.1)
        w.fail(SafeTensorsError.io(path: "model-00001-of-00002.safetensors", reason: "download failed"))
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(got.items.first?.contains("download failed") == true)
    }

    @Test("a downloaded file whose header differs from the planned one is refused")
    func headerChanged() throws {
        let s = try TwoShards()
        defer { s.remove() }
        let w = try ArrivingWeights(folder: s.dir, shards: s.shards, index: nil)
        // Shard 1's name, shard 2's bytes.
        w.markReady("model-00001-of-00002.safetensors", path: s.dir + "/model-00002-of-00002.safetensors")
        #expect(throws: SafeTensorsError.self) { try w.view("x") }
    }

    @Test("a shard counts as consumed once every reader has finished every tensor it reads of it")
    func consumed() throws {
        let s = try TwoShards()
        defer { s.remove() }
        let w = try ArrivingWeights(folder: s.dir, shards: s.shards, index: nil)
        w.expectReads(of: ["x", "y", "z"], by: 0)
        w.expectReads(of: ["x", "z"], by: 1)  // reader 1 never reads y
        let second = w.reader(1)
        let consumed = Flag()
        w.onShardConsumed = { consumed.add($0) }
        let one = "model-00001-of-00002.safetensors", two = "model-00002-of-00002.safetensors"
        w.markReady(one, path: s.dir + "/" + one)
        #expect(w.isAvailable("x") && !w.isAvailable("z"))
        // Releasing only drops pages; finishing twice counts once.
        let x = try w.view("x")
        w.release(x)
        w.finished("x")
        w.finished("x")
        w.finished("y")
        #expect(consumed.items.isEmpty)  // reader 1 still reads x
        _ = try second.view("x")
        second.finished("x")
        #expect(consumed.items == [one])
        // A reader that stops early counts as done with everything: shard 2 is consumed as it arrives
        // once reader 0 has finished z.
        w.finished("z")
        w.finishAll(by: 1)
        #expect(consumed.items == [one])  // shard 2 not there yet
        w.markReady(two, path: s.dir + "/" + two)
        #expect(consumed.items == [one, two])
        #expect(w.shardEvents[two]?.consumedAt != nil)
    }

    @Test("the index is cross-checked against the headers")
    func indexChecked() throws {
        let s = try TwoShards()
        defer { s.remove() }
        let good = try ShardIndex(bytes: Array(#"{"weight_map":{"x":"model-00001-of-00002.safetensors","y":"model-00001-of-00002.safetensors","z":"model-00002-of-00002.safetensors"}}"#.utf8), path: "i")
        _ = try ArrivingWeights(folder: s.dir, shards: s.shards, index: good)
        let wrongShard = try ShardIndex(bytes: Array(#"{"weight_map":{"x":"model-00002-of-00002.safetensors","y":"model-00001-of-00002.safetensors","z":"model-00002-of-00002.safetensors"}}"#.utf8), path: "i")
        #expect { try ArrivingWeights(folder: s.dir, shards: s.shards, index: wrongShard) } throws: { e in
            if case SafeTensorsError.tensorMissingFromShard(name: "x", shard: _) = e { return true }
            return false
        }
        let unlisted = try ShardIndex(bytes: Array(#"{"weight_map":{"x":"model-00001-of-00002.safetensors","y":"model-00001-of-00002.safetensors"}}"#.utf8), path: "i")
        #expect { try ArrivingWeights(folder: s.dir, shards: s.shards, index: unlisted) } throws: { e in
            if case SafeTensorsError.tensorNotInIndex(name: "z", shard: _) = e { return true }
            return false
        }
    }
}
