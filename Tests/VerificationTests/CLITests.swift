import Foundation
import Testing
import TestSupport
@testable import Verification

/// The `hubkit logits` and `hubkit verify` commands, run as real processes.
@Suite("hubkit logits and verify commands")
struct VerifyCLITests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static var executable: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("hubkit").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/hubkit").path
    }

    static func hubkit(_ args: [String], environment: [String: String] = [:], timeout: TimeInterval = 300) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let pid = process.processIdentifier
        let killer = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return Run(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func tempDir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test("logits writes a [tokens, vocab] float32 .npy that numpy reads and that matches transformers")
    func logitsNPY() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ids = try Fixtures.ids("tiny-llama")
        let gguf = try GGUFMaker.make(from: Fixtures.folder("tiny-llama"), type: "f32", in: dir, name: "tiny")
        for (model, out) in [(Fixtures.folder("tiny-llama"), dir + "/folder.npy"), (gguf, dir + "/gguf.npy")] {
            let r = try Self.hubkit(["logits", model, "--ids", ids.map(String.init).joined(separator: ","), "-o", out, "--threads", "2"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let check = try Python.run(#"""
import sys, numpy as np
ref = np.load(sys.argv[1])
for p in sys.argv[2:]:
    a = np.load(p)
    assert a.dtype == np.float32 and a.shape == ref.shape, (a.dtype, a.shape)
    print(float(np.abs(a - ref).max() / np.abs(ref).max()))
"""#, arguments: [Fixtures.folder("tiny-llama") + "/logits.npy", dir + "/folder.npy", dir + "/gguf.npy"])
        let errors = String(decoding: check, as: UTF8.self).split(separator: "\n").compactMap { Double($0) }
        #expect(errors.count == 2 && errors.allSatisfy { $0 <= 1e-4 }, "\(errors)")
    }

    @Test("logits refuses a missing input and bad ids with exit 1 or 64")
    func logitsErrors() throws {
        let r = try Self.hubkit(["logits", Fixtures.folder("tiny-llama"), "-o", "/tmp/x.npy"])
        #expect(r.status == 64)
        let bad = try Self.hubkit(["logits", Fixtures.folder("tiny-llama"), "--ids", "1,99999", "-o", "/tmp/hubkit-never.npy"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("outside the vocabulary"))
    }

    @Test("verify exits 0 on a good file, 3 on a broken one, 1 without a reference; --json and --report")
    func verifyExitCodes() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folder = dir + "/model"
        try TinyLlama.write(to: folder)
        let good = try GGUFMaker.make(from: folder, type: "q8_0", in: dir, name: "good")
        let broken = try GGUFMaker.make(from: folder, type: "q8_0", broken: "no-permute", in: dir, name: "broken")
        let common = ["--reference", folder, "--max-tokens", "24", "--context", "12", "--threads", "2"]
        let env = ["HUBKIT_VERIFY_CACHE": dir + "/cache"]

        let ok = try Self.hubkit(["verify", good, "--json", "--report", dir + "/report.html"] + common, environment: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any]
        #expect(json?["passed"] as? Bool == true)
        #expect((json?["tensors"] as? [Any])?.count == 21)
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("PASS"))

        let bad = try Self.hubkit(["verify", broken] + common, environment: env)
        #expect(bad.status == 3)
        #expect(bad.stdout.contains("verdict: FAIL") && bad.stdout.contains("blk.0.attn_q.weight"))
        #expect(bad.stderr.contains("(reference from cache)"), "second run should use the cached reference: \(bad.stderr)")

        let none = try Self.hubkit(["verify", good], environment: env)
        #expect(none.status == 1)
        #expect(none.stderr.contains("--reference"))
    }

    @Test("verify --no-stream (whole-model passes) prints the same numbers as the layer-streamed default")
    func noStreamSameNumbers() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folder = dir + "/model"
        var o = TinyLlama.Options()
        o.layers = 3
        try TinyLlama.write(to: folder, options: o)
        let gguf = try GGUFMaker.make(from: folder, type: "q4_0", in: dir, name: "q4")
        let common = ["verify", gguf, "--json", "--no-cache", "--reference", folder, "--max-tokens", "36", "--context", "12", "--threads", "2"]
        var results: [[String: Any]] = []
        for extra in [[], ["--no-stream"]] {
            let r = try Self.hubkit(common + extra)
            #expect(r.status == 0, "\(extra): \(r.stderr)")
            results.append(try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]))
        }
        for key in ["tensors", "hiddenDrift", "logits", "failures", "driftLimit"] {
            let a = try JSONSerialization.data(withJSONObject: ["v": results[0][key] ?? NSNull()], options: .sortedKeys)
            let b = try JSONSerialization.data(withJSONObject: ["v": results[1][key] ?? NSNull()], options: .sortedKeys)
            #expect(a == b, "\(key) differs")
        }
        #expect((results[0]["hiddenDrift"] as? [Double])?.count == 3)
    }
}
