import Foundation

/// Runs child processes for tests with a deadline. Output goes to temporary files (a full pipe
/// cannot block the child), waiting polls instead of blocking, and an overdue child is killed with
/// SIGKILL: children of Swift Testing inherit a signal mask under which `terminate()` is ignored.
public enum Subprocess {
    /// What a finished child left.
    public struct Output: Sendable {
        public let status: Int32
        /// stdout as raw bytes (a script may print binary data).
        public let stdoutData: Data
        public let stderr: String
        public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    }

    /// The child overran its deadline and was killed.
    public struct TimedOut: Error, CustomStringConvertible {
        public let command: String
        public let seconds: Double
        public var description: String { "\(command) did not finish within \(seconds) s and was killed" }
    }

    /// A started child and the files its output goes to.
    struct Child {
        let process: Process
        let dir: String
        let command: String
        let deadline: Date

        init(_ executable: String, _ arguments: [String], environment: [String: String], timeout: Double) throws {
            dir = FileManager.default.temporaryDirectory.path + "/hubkit-sub-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
            _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
            process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
            process.standardInput = FileHandle.nullDevice
            command = ([executable] + arguments).joined(separator: " ")
            deadline = Date().addingTimeInterval(timeout)
            try process.run()
        }

        /// Kills the child if it is overdue; true when it has finished.
        func poll() throws -> Bool {
            guard process.isRunning else { return true }
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                while process.isRunning { usleep(10_000) }
                try? FileManager.default.removeItem(atPath: dir)
                throw TimedOut(command: command, seconds: deadline.timeIntervalSinceNow)
            }
            return false
        }

        func collect() -> Output {
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let out = FileManager.default.contents(atPath: dir + "/out") ?? Data()
            let err = String(decoding: FileManager.default.contents(atPath: dir + "/err") ?? Data(), as: UTF8.self)
            return Output(status: process.terminationStatus, stdoutData: out, stderr: err)
        }
    }

    /// Runs `executable arguments…`, waiting without holding a thread of the cooperative pool.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double) async throws -> Output {
        let child = try Child(executable, arguments, environment: environment, timeout: timeout)
        while try !child.poll() { try? await Task.sleep(nanoseconds: 20_000_000) }
        return child.collect()
    }

    /// Runs `executable arguments…` and blocks the calling thread until it ends.
    public static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double) throws -> Output {
        let child = try Child(executable, arguments, environment: environment, timeout: timeout)
        while try !child.poll() { usleep(20_000) }
        return child.collect()
    }

    /// Runs a Python script with `python3` (from PATH) and the given environment.
    public static func python(_ script: String, environment: [String: String] = [:], timeout: Double = 120) async throws -> Output {
        let path = FileManager.default.temporaryDirectory.path + "/hubkit-py-" + UUID().uuidString + ".py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await run("/usr/bin/env", ["python3", path], environment: environment, timeout: timeout)
    }

    /// `git hash-object FILE`: an independent git blob id.
    public static func gitBlobID(_ path: String) async throws -> String {
        try await run("/usr/bin/env", ["git", "hash-object", path], timeout: 30).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `sha256sum FILE`: an independent sha256.
    public static func sha256(_ path: String) async throws -> String {
        String(try await run("/usr/bin/env", ["sha256sum", path], timeout: 60).stdout.prefix(64))
    }
}

/// Runs `python3 -c script args…` with a deadline (see `Subprocess`).
public func runPython(_ script: String, _ args: [String] = [], timeout: TimeInterval = 120) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProcess("/usr/bin/env", ["python3", "-c", script] + args, timeout: timeout)
}

/// Runs `executable args…` with a deadline (see `Subprocess`).
public func runProcess(_ executable: String, _ args: [String], timeout: TimeInterval = 120) throws -> (status: Int32, stdout: String, stderr: String) {
    let o = try Subprocess.runBlocking(executable, args, timeout: timeout)
    return (o.status, o.stdout, o.stderr)
}

/// Runs Python scripts that must succeed, returning their stdout.
public enum Python {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    @discardableResult
    public static func run(_ script: String, arguments: [String] = [], timeout: TimeInterval = 180) throws -> Data {
        let o = try Subprocess.runBlocking("/usr/bin/env", ["python3", "-c", script] + arguments, timeout: timeout)
        guard o.status == 0 else { throw Failure(description: "python exited \(o.status): \(o.stderr)") }
        return o.stdoutData
    }
}
