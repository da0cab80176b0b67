import Foundation

/// Runs a child process with a deadline. Output goes to temporary files (a full pipe cannot block
/// the child), waiting polls instead of blocking, and an overdue child is killed with SIGKILL
/// (`terminate()` is ignored by children of Swift Testing, whose signal mask they inherit).
enum Subprocess {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    struct TimedOut: Error, CustomStringConvertible {
        let command: String
        let seconds: Double
        var description: String { "\(command) did not finish within \(seconds) s and was killed" }
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double) async throws -> Output {
        let dir = FileManager.default.temporaryDirectory.path + "/hubkit-sub-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                while process.isRunning { try? await Task.sleep(nanoseconds: 10_000_000) }
                throw TimedOut(command: ([executable] + arguments).joined(separator: " "), seconds: timeout)
            }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        let out = (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? ""
        return Output(status: process.terminationStatus, stdout: out, stderr: err)
    }

    /// Runs a Python script with `python3` (from PATH) and the given environment.
    static func python(_ script: String, environment: [String: String] = [:], timeout: Double = 120) async throws -> Output {
        let path = FileManager.default.temporaryDirectory.path + "/hubkit-py-" + UUID().uuidString + ".py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await run("/usr/bin/env", ["python3", path], environment: environment, timeout: timeout)
    }

    /// `git hash-object FILE`: an independent git blob id.
    static func gitBlobID(_ path: String) async throws -> String {
        try await run("/usr/bin/env", ["git", "hash-object", path], timeout: 30).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `sha256sum FILE`: an independent sha256.
    static func sha256(_ path: String) async throws -> String {
        let out = try await run("/usr/bin/env", ["sha256sum", path], timeout: 60).stdout
        return String(out.prefix(64))
    }
}
