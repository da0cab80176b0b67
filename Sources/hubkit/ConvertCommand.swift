import ArgumentParser
import Conversion
import Foundation
import ModelHub
import PyTorchCheckpoint

/// `hubkit convert`: a Llama safetensors folder (or a cached repo) → one GGUF file.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a Llama-family model (safetensors or PyTorch .bin, or a delta on a base) to GGUF (f32, f16, bf16, q8_0, q4_0).",
        discussion: """
        SOURCE is a local model folder, or a repo id (namespace/name) whose snapshot is in the Hugging Face \
        cache (HF_HUB_CACHE, or $HF_HOME/hub). Q8_0/Q4_0 blocks are bit-exact with ggml's reference \
        quantizer. Exit codes: 0 ok, 1 failure, 64 usage error.
        """
    )

    @Argument(help: "Model folder or cached repo id.")
    var source: String

    @Option(name: .long, help: "Weight type: f32, f16, bf16, q8_0 or q4_0.")
    var type: String = "q8_0"

    @Option(name: .long, help: "Revision of a cached repo (branch, tag or commit; default main, or its cached safetensors conversion PR when main has only .bin files).")
    var revision: String?

    @Option(name: [.short, .customLong("output")], help: "Output file (default: <name>-<TYPE>.gguf in the current folder).")
    var output: String?

    @Flag(name: .long, help: "Overwrite an existing output file.")
    var force = false

    @Flag(name: .long, help: "Print the plan (tensors, types, sizes, disk needed) without writing.")
    var dryRun = false

    @Flag(name: .long, help: "Machine-readable output.")
    var json = false

    @Option(name: .long, help: "Quantization threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("SOURCE holds delta weights: add them to this base model (folder or cached repo id) while converting; config.json comes from the base.", valueName: "base"))
    var deltaBase: String?

    func run() throws {
        guard let outType = OutputType(rawValue: type.lowercased()) else {
            throw ValidationError("unknown --type \(type); use f32, f16, bf16, q8_0 or q4_0")
        }
        let resolved = try ModelSource.resolveForConvert(source, revision: revision)
        var options = ConversionOptions(type: outType)
        options.hubkitVersion = HubKitVersion.string
        options.sourceRepo = resolved.repo
        options.sourceCommit = resolved.commit
        if let threads { options.threads = max(1, threads) }
        let plan: ConversionPlan
        if let deltaBase {
            let base = try ModelSource.resolve(deltaBase, revision: "main")
            options.deltaBase = base.repo ?? base.folder
            options.deltaBaseCommit = base.commit
            let merged = try DeltaWeights(base: CheckpointWeights.open(folder: base.folder),
                                          delta: CheckpointWeights.open(folder: resolved.folder))
            plan = try ConversionPlan.make(folder: resolved.folder, options: options, weights: merged, configFolder: base.folder)
        } else {
            plan = try ConversionPlan.make(folder: resolved.folder, options: options)
        }
        let name = plan.metadata.first { $0.key == "general.name" }?.value.stringValue ?? "model"
        let out = output ?? FileManager.default.currentDirectoryPath + "/\(name)-\(outType.label).gguf"

        if dryRun {
            let free = ((try? FileManager.default.attributesOfFileSystem(forPath: URL(fileURLWithPath: out).deletingLastPathComponent().path))?[.systemFreeSize] as? NSNumber)?.uint64Value
            if json {
                try printJSON(planJSON(plan, output: out, diskFree: free))
            } else {
                printPlan(plan, output: out, diskFree: free)
            }
            return
        }
        for w in plan.warnings where !json { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        let bar = ProgressLine(enabled: !json && isatty(2) != 0)
        let result = try Converter().run(plan, output: out, overwrite: force) { bar.update($0) }
        bar.finish()
        if json {
            try printJSON([
                "output": result.output, "type": outType.rawValue, "output_bytes": result.outputBytes,
                "input_bytes": result.inputBytes, "seconds": result.seconds, "tensors": plan.tensors.count,
                "input_mb_per_s": Double(result.inputBytes) / 1e6 / max(result.seconds, 1e-9),
            ])
        } else {
            print("wrote \(result.output): \(plan.tensors.count) tensors, \(formatBytes(result.outputBytes)) from \(formatBytes(result.inputBytes)) in \(String(format: "%.2f", result.seconds)) s (\(String(format: "%.0f", Double(result.inputBytes) / 1e6 / max(result.seconds, 1e-9))) MB/s)")
        }
    }

    func planJSON(_ plan: ConversionPlan, output: String, diskFree: UInt64?) -> [String: Any] {
        var j: [String: Any] = [
            "source": plan.folder, "output": output, "type": plan.options.type.rawValue, "architecture": plan.architecture,
            "output_bytes": plan.outputSize, "input_bytes": plan.inputBytes, "disk_needed": plan.outputSize,
            "warnings": plan.warnings,
            "tensors": plan.tensors.map { t -> [String: Any] in
                ["source": t.source, "shard": t.shard, "source_dtype": t.sourceDType.rawValue, "target": t.target,
                 "type": t.type.name, "ne": t.ne, "bytes": t.outputBytes, "permuted": t.permutation != nil]
            },
        ]
        if let diskFree { j["disk_free"] = diskFree }
        return j
    }

    func printPlan(_ plan: ConversionPlan, output: String, diskFree: UInt64?) {
        print("plan: \(plan.folder) → \(output) (\(plan.options.type.rawValue), arch \(plan.architecture))")
        let w = max(10, plan.tensors.map(\.source.count).max() ?? 10)
        for t in plan.tensors {
            let src = t.source.padding(toLength: w, withPad: " ", startingAt: 0)
            let tgt = t.target.padding(toLength: 28, withPad: " ", startingAt: 0)
            let shape = "[" + t.ne.map(String.init).joined(separator: ", ") + "]"
            print("  \(src) \(t.sourceDType.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0)) → \(tgt) \(t.type.name.padding(toLength: 5, withPad: " ", startingAt: 0)) \(shape.padding(toLength: 16, withPad: " ", startingAt: 0)) \(formatBytes(t.outputBytes))\(t.permutation != nil ? "  (Q/K permuted)" : "")")
        }
        print("tensors: \(plan.tensors.count), input \(formatBytes(plan.inputBytes)), output \(formatBytes(plan.outputSize)) (disk needed)\(diskFree.map { ", free \(formatBytes($0))" } ?? "")")
        for w in plan.warnings { print("warning: \(w)") }
    }
}

/// Resolves a `convert` source: an existing folder, or a repo id found in the hub cache.
enum ModelSource {
    struct Resolved { let folder: String; let repo: String?; let commit: String? }

    /// The hub cache as huggingface_hub finds it (HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, ~).
    static var cacheRoot: String { HubEnvironment().hubCache }

    static func resolve(_ source: String, revision: String) throws -> Resolved {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: source, isDirectory: &isDir) {
            guard isDir.boolValue else { throw ValidationError("\(source) is a file; give a model folder or a repo id") }
            return Resolved(folder: source, repo: nil, commit: nil)
        }
        guard let repo = RepoID(source) else {
            throw ValidationError("\(source) is neither an existing folder nor a valid repo id (namespace/name)")
        }
        let layout = CacheLayout(root: cacheRoot)
        var commit = revision
        let isHash = revision.count == 40 && revision.allSatisfy(\.isHexDigit)
        if !isHash {
            guard let data = FileManager.default.contents(atPath: layout.refFile(repo, revision: revision)),
                  let ref = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !ref.isEmpty else {
                throw ConvertFailure("\(repo) (revision \(revision)) is not in the Hugging Face cache at \(layout.root); download it first (hubkit download \(repo))")
            }
            commit = ref
        }
        let folder = layout.snapshotFolder(repo, commit: commit)
        guard FileManager.default.fileExists(atPath: folder + "/config.json") else {
            throw ConvertFailure("snapshot \(commit) of \(repo) is not complete in \(layout.root) (no config.json); download it first")
        }
        return Resolved(folder: folder, repo: repo.description, commit: commit)
    }
}

/// A failure that is not a usage error (exit code 1, message as given).
struct ConvertFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// One self-overwriting progress line on stderr (only on a terminal).
final class ProgressLine {
    let enabled: Bool
    let start = Date()
    var last = Date.distantPast

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: ConversionProgress) {
        guard enabled, Date().timeIntervalSince(last) > 0.1 || p.bytesDone == p.bytesTotal else { return }
        last = Date()
        let pct = p.bytesTotal == 0 ? 100 : Double(p.bytesDone) * 100 / Double(p.bytesTotal)
        let rate = Double(p.bytesDone) / 1e6 / max(Date().timeIntervalSince(start), 1e-9)
        let line = String(format: "\r[%d/%d] %@ %@  %.1f%% of %@  %.0f MB/s\u{1B}[K", p.tensorIndex + 1, p.tensorCount, p.tensor, p.type.name, pct, formatBytes(p.bytesTotal), rate)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }
}

func formatBytes(_ n: UInt64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var v = Double(n), i = 0
    while v >= 1000, i < units.count - 1 { v /= 1000; i += 1 }
    return i == 0 ? "\(n) B" : String(format: "%.2f %@", v, units[i])
}

func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}
