import Crypto
import Foundation
import HubServer
import TestSupport

/// The `hubkit` executable built beside the test bundle.
enum HubkitBinary {
    static var path: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [dir.appendingPathComponent("hubkit").path, dir.deletingLastPathComponent().appendingPathComponent("hubkit").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }
}

/// A child process with output in files, a deadline, and SIGKILL (the only signal children of
/// Swift Testing obey).
final class DownloadChild: @unchecked Sendable {
    let process = Process()
    let dir: String

    init(_ arguments: [String], environment: [String: String]) throws {
        dir = FileManager.default.temporaryDirectory.path + "/hubkit-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        process.executableURL = URL(fileURLWithPath: HubkitBinary.path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HF_") }
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits (polling) up to `timeout` seconds, then kills.
    func wait(timeout: Double = 60) async -> (status: Int32, stdout: String, stderr: String) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { kill() }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? ""
        return (process.terminationStatus, out, err)
    }

    func kill() { _ = Foundation.kill(process.processIdentifier, SIGKILL) }

    /// Runs `hubkit` with `arguments` to completion.
    static func run(_ arguments: [String], environment: [String: String], timeout: Double = 60) async throws
        -> (status: Int32, stdout: String, stderr: String) {
        await (try DownloadChild(arguments, environment: environment)).wait(timeout: timeout)
    }
}

/// A served `org/tiny` (config.json, tokenizer.json, model.safetensors of 8 MiB on the CDN) and a cache folder.
struct CLITestbed {
    let fixture: RepositoryFixture
    let hub: TestHub
    let cache: String
    static let modelSize = 8 << 20

    static func run(_ body: (CLITestbed) async throws -> Void) async throws {
        let fixture = try RepositoryFixture()
        try fixture.addRepository("org/tiny", textFiles: ["config.json": "{\"model_type\":\"llama\"}", "tokenizer.json": "{}"])
        try fixture.addRandomFile("org/tiny", path: "model.safetensors", size: modelSize, seed: 3)
        try fixture.addRepository("org/gated", textFiles: ["config.json": "{}"], settings: RepoSettings(access: .gated, tokens: ["hf_right"]))
        let hub = try await TestHub.start(repositories: fixture.root, lfsSizeThreshold: 1 << 20)
        let cache = FileManager.default.temporaryDirectory.path + "/hubkit-clicache-" + UUID().uuidString
        let bed = CLITestbed(fixture: fixture, hub: hub, cache: cache)
        do { try await body(bed) } catch {
            await hub.stop()
            fixture.remove()
            try? FileManager.default.removeItem(atPath: cache)
            throw error
        }
        await hub.stop()
        fixture.remove()
        try? FileManager.default.removeItem(atPath: cache)
    }

    var environment: [String: String] { ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": cache, "HF_HOME": cache + "-home"] }

    func hubkit(_ arguments: [String], extraEnvironment: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await DownloadChild.run(arguments, environment: environment.merging(extraEnvironment) { $1 })
    }

    func served(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: fixture.folder("org/tiny") + "/" + path)) }

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
}
