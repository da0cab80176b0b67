import Foundation
import Testing
@testable import PyTorchCheckpoint
import SafeTensors
import TestSupport

/// Builds the FreeWilly stand-ins once (scripts/mock-freewilly, 4 layers to stay small).
private func mockRepos() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fw-\(UUID().uuidString)")
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/mock-freewilly").standardized.path
    let r = try runProcess("/usr/bin/env", ["python3", script, dir.appendingPathComponent("root").path, "--layers", "4"], timeout: 300)
    guard r.status == 0 else { throw Python.Failure(description: "mock-freewilly: \(r.stderr)") }
    return dir
}

@Suite("PyTorchModel")
struct PyTorchModelTests {
    @Test("29 float32 .bin shards hold the same tensors as the Hub bot's safetensors conversion")
    func binMatchesSafetensors() throws {
        let dir = try mockRepos()
        defer { try? FileManager.default.removeItem(at: dir) }
        let main = dir.appendingPathComponent("root/stabilityai/StableBeluga2").path
        let pr = dir.appendingPathComponent("root/stabilityai/StableBeluga2@pr35").path
        let bin = try PyTorchModel(folder: main)
        let st = try SafeTensorsModel(folder: pr)
        #expect(bin.shardNames.count == 29)
        #expect(bin.shardNames.first == "pytorch_model-00001-of-00029.bin")
        #expect(Set(bin.entries.map(\.info.name)) == Set(st.entries.map(\.info.name)))
        for e in bin.entries {
            let a = try bin.view(e.info.name), b = try st.view(e.info.name)
            #expect(a.dtype == .f32 && a.shape == b.shape)
            #expect(try a.floats() == b.floats())
        }
    }

    @Test("a shard named by the index but absent is an error naming it")
    func missingShard() throws {
        let dir = try mockRepos()
        defer { try? FileManager.default.removeItem(at: dir) }
        let main = dir.appendingPathComponent("root/stabilityai/StableBeluga2")
        try FileManager.default.removeItem(at: main.appendingPathComponent("pytorch_model-00007-of-00029.bin"))
        #expect {
            try PyTorchModel(folder: main.path)
        } throws: { error in
            guard case let SafeTensorsError.missingShard(shard, _, _) = error else { return false }
            return shard == "pytorch_model-00007-of-00029.bin"
        }
    }
}
