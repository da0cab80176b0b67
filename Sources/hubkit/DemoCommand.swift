import ArgumentParser
import Foundation
import HubServer
import TestSupport

/// `hubkit demo`: the whole job offline. Generates a tiny seeded Llama, serves it on 127.0.0.1
/// with hubkit's Hub-compatible server, then runs the real commands against it — download by name
/// into a temporary cache, convert to Q8_0 and Q4_0, inspect, verify, then the same as one `pull` —
/// as child processes, exactly as a user would type them.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run download → convert → inspect → verify (and pull) offline on a tiny model served on 127.0.0.1."
    )

    @Option(help: ArgumentHelp("Work folder (default: a new temporary folder, removed at the end).", valueName: "dir"))
    var workDir: String?

    @Flag(help: "Keep the work folder.")
    var keep = false

    func run() async throws {
        let fm = FileManager.default
        let work = workDir.map(absolute) ?? fm.temporaryDirectory.appendingPathComponent("hubkit-demo-\(getpid())").path
        try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if !keep && workDir == nil { try? fm.removeItem(atPath: work) } }

        let repo = "hubkit-demo/tiny-llama"
        let root = work + "/served", cache = work + "/hub-cache", out = work + "/out"
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        let summary = try TinyLlama.write(to: root + "/" + repo)
        note("1. a tiny Llama (\(summary.tensors.count) tensors, vocab \(summary.vocabSize), F16 in \(summary.weightFiles.count) shards) in \(root)/\(repo)")

        let server = try HubServer(configuration: HubServerConfiguration(source: .repositories(root)))
        try await server.start()
        guard let endpoint = server.endpoint else { throw ValidationError("the demo server did not start") }
        note("2. serving it like the Hub at \(endpoint) (LFS files redirect to \(server.cdnEndpoint ?? "?"))")

        var env = ProcessInfo.processInfo.environment
        env["HF_ENDPOINT"] = endpoint
        env["HF_HUB_CACHE"] = cache
        env.removeValue(forKey: "HF_TOKEN")
        env.removeValue(forKey: "HF_HUB_OFFLINE")
        var failure: Error?
        do {
            note("3. download by name into a temporary cache (HF_ENDPOINT=\(endpoint), HF_HUB_CACHE=\(cache))")
            try run(["download", repo], env)
            try run(["cache", "ls"], env)
            for type in ["q8_0", "q4_0"] {
                let file = out + "/tiny-llama-\(type.uppercased()).gguf"
                note("4. convert the cached snapshot to \(type.uppercased()) in one streaming pass")
                try run(["convert", repo, "--type", type, "-o", file], env)
                try run(["inspect", file], env)
                note("5. verify the \(type.uppercased()) file against the original weights (found through its provenance keys)")
                try run(["verify", file, "--max-tokens", "128"], env)
            }
            note("6. or all of it in one command: download → convert (each shard as soon as it is verified) → verify")
            try run(["pull", repo, "--type", "q4_0", "-o", out + "/tiny-llama-pulled-Q4_0.gguf"], env)
        } catch {
            failure = error
        }
        await server.stop()
        if let failure { throw failure }
        note("done: every step above is a real hubkit command; the work folder was \(work)")
    }

    private func note(_ text: String) {
        FileHandle.standardError.write(Data("\n\u{2192} \(text)\n".utf8))
    }

    /// Runs `hubkit ARGS` as a child process with the terminal as its stdout and stderr.
    private func run(_ args: [String], _ env: [String: String]) throws {
        FileHandle.standardError.write(Data("$ hubkit \(args.joined(separator: " "))\n".utf8))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !CommandLine.arguments[0].contains("/") {
            p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        }
        p.arguments = args
        p.environment = env
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ValidationError("demo step `hubkit \(args.joined(separator: " "))` failed with exit code \(p.terminationStatus)")
        }
    }
}
