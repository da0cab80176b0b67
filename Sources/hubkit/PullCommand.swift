import ArgumentParser
import Conversion
import Foundation
import ModelHub
import PyTorchCheckpoint
import SafeTensors
import TensorCore
import Verification

/// `hubkit pull`: download → convert → verify in one command, converting each safetensors shard
/// as soon as it is downloaded and verified while the next ones download.
struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a model, convert it to GGUF while the shards arrive, and verify the result.",
        discussion: """
        Small files (config, tokenizer, index) come first: an unsupported architecture is refused before \
        any weight is requested. When main has only PyTorch .bin weights, pull uses the Hub's safetensors \
        conversion pull request (refs/pr/N) and says so; --revision main reads the .bin files instead \
        (planned from their remote zip directories, converted as they arrive). See docs/pull.md and docs/freewilly.md.
        Exit codes: 0 converted and verified, 3 verification ran and found the file wrong, 1 failure, 64 usage.
        """
    )

    @Argument(help: "Repository id, namespace/name.")
    var repo: String

    @Option(help: "Weight type: f32, f16, bf16, q8_0 or q4_0.")
    var type: String = "q8_0"

    @Option(name: [.short, .customLong("output")], help: "Output file (default: <name>-<TYPE>.gguf in the current folder).")
    var output: String?

    @Option(help: "Branch, tag, commit or refs/pr/N (default: main, or the Hub's safetensors conversion PR when main has only .bin files).")
    var revision: String?

    @Option(help: ArgumentHelp("The repo holds delta weights: add them to this base (repo id or folder) while converting.", valueName: "base"))
    var deltaBase: String?

    @Flag(help: "Delete each downloaded source shard once both the conversion and the verification's reference pass have used it (disk: output + the few shards in use).")
    var deleteSources = false

    @Option(help: ArgumentHelp("Hub cache root (default: HF_HUB_CACHE, else $HF_HOME/hub).", valueName: "dir"))
    var cacheDir: String?

    @Option(help: "Connections at once.")
    var jobs: Int = 8

    @Flag(help: "Show the plan (revision, files, bytes, disk needed, output size) and download no weights.")
    var dryRun = false

    @Flag(help: "Print one JSON summary on stdout.")
    var json = false

    @Flag(help: "Overwrite the output and go on even when free disk space looks short.")
    var force = false

    @Option(help: "Tokens the verification runs on (default 128).")
    var maxTokens: Int = 128

    @Option(help: "Threads for quantization and verification (default: all cores).")
    var threads: Int?

    @OptionGroup var connection: HubConnectionOptions

    func validate() throws {
        guard OutputType(rawValue: type.lowercased()) != nil else { throw ValidationError("unknown --type \(type); use f32, f16, bf16, q8_0 or q4_0") }
        if jobs < 1 || jobs > 64 { throw ValidationError("--jobs must be between 1 and 64") }
        if maxTokens < 4 { throw ValidationError("--max-tokens must be at least 4") }
    }

    func run() throws {
        do {
            let summary = try pull()
            if json { try printJSON(summary.json) }
            if summary.verifyPassed == false { throw ExitCode(3) }
        } catch let e as ExitCode {
            throw e
        } catch {
            throw reportFailure(error)
        }
    }

    /// Everything pull did, for `--json` and the exit code.
    struct Summary {
        var json: [String: Any]
        var verifyPassed: Bool?
    }

    private func note(_ text: String) { if !json { StandardError.write(text + "\n") } }

    func pull() throws -> Summary {
        let started = Date()
        let outType = OutputType(rawValue: type.lowercased())!
        let context = connection.context()
        let client = context.client
        let cacheRoot = absolute(cacheDir ?? context.environment.hubCache)
        var transfer = TransferOptions()
        transfer.jobs = jobs
        transfer.maxRangesPerFile = jobs
        let downloader = HubDownloader(client: client, transfer: transfer)
        let repoID = try RepoID(parsing: repo)
        if context.environment.offline {
            throw PullFailure("pull needs the Hub, but HF_HUB_OFFLINE is set; for a model already in the cache use `hubkit convert \(repoID)` and `hubkit verify`")
        }

        // 1. Revisions, small files, architecture, remote headers: no weight byte yet.
        let model = try PullSource.prepare(repoID, asked: revision, client: client, downloader: downloader, cacheRoot: cacheRoot,
                                           force: force, checkArchitecture: deltaBase == nil, manifestsDirectory: nil)
        if let r = model.revisionReason { StandardError.write("hubkit: \(r)\n") }
        var base: PullSource?
        if let deltaBase {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: deltaBase, isDirectory: &isDir), isDir.boolValue {
                base = try PullSource.local(folder: deltaBase)
            } else {
                let id = try RepoID(parsing: deltaBase)
                base = try PullSource.prepare(id, asked: nil, client: client, downloader: downloader, cacheRoot: cacheRoot,
                                              force: force, checkArchitecture: true, manifestsDirectory: nil)
                if let r = base?.revisionReason { StandardError.write("hubkit: \(r)\n") }
            }
        }
        let sources = [model] + (base.map { [$0] } ?? [])

        // 2. Disk: sources still to download + output (checked before any weight transfer).
        let toFetch = sources.flatMap { s in s.weightFiles.map { (s, $0) } }
            .filter { !HubCache(root: cacheRoot).hasBlob($0.0.repo, etag: $0.1.etag) }
        let fetchBytes = toFetch.reduce(Int64(0)) { $0 + $1.1.size }
        let largest = toFetch.map { $0.1.size }.max() ?? 0
        let inFlightLimit = 2 * sources.filter { $0.arriving != nil }.count

        // The conversion plan, from the shards' remote headers (safetensors) or directories (.bin).
        var options = ConversionOptions(type: outType)
        options.hubkitVersion = HubKitVersion.string
        options.sourceRepo = repoID.description
        options.sourceCommit = model.manifest.commit
        if let threads { options.threads = max(1, threads) }
        if let arriving = model.arriving {
            let sha = arriving.shardNames.compactMap { name in model.weightFiles.first { $0.path == name }?.sha256 }
            if sha.count == arriving.shardNames.count { options.sourceSHA256 = sha }
        }
        let plan = try makePlan(model: model, base: base, options: options)
        let outputBytes = Int64(plan.outputSize)
        let name = plan.metadata.first { $0.key == "general.name" }?.value.stringValue ?? repoID.name
        let out = absolute(output ?? "\(name)-\(outType.label).gguf")
        // The verification reads the sources as they arrive and the file as it is written.
        let verification = try PullVerification(output: out, model: model, base: base, maxTokens: maxTokens,
                                                threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, quiet: json, clockStart: started)
        let feedOrder = PullFeeder.order(tensors: plan.tensors.map(\.source), sources: sources)
        let heldLimit = max(inFlightLimit, PullFeeder.shardsHeldAtOnce(items: feedOrder, steps: verification.steps))
        let sourceNeed = deleteSources ? min(fetchBytes, Int64(heldLimit) * largest) : fetchBytes
        let disk = try checkDisk(cacheRoot: cacheRoot, output: out, sources: sourceNeed, outputBytes: outputBytes, fetchBytes: fetchBytes)
        if !force, FileManager.default.fileExists(atPath: out), !dryRun { throw ConversionError.outputExists(path: out) }

        var j: [String: Any] = [
            "repo": repoID.description, "revision": model.revision, "commit": model.manifest.commit, "format": model.format,
            "output": out, "type": outType.rawValue, "bytes_to_download": fetchBytes, "output_bytes": outputBytes,
            "disk_needed": disk.needed, "delete_sources": deleteSources, "dry_run": dryRun,
        ]
        if deleteSources { j["source_shards_held"] = heldLimit }
        if let r = model.revisionReason { j["revision_reason"] = r }
        if let a = disk.available { j["disk_available"] = a }
        if let base { j["delta_base"] = ["repo": base.repo.description, "revision": base.revision, "commit": base.manifest.commit, "folder": base.folder] }
        if dryRun {
            j["files"] = sources.flatMap { s in s.weightFiles.map { ["repo": s.repo.description, "path": $0.path, "size": $0.size] } }
            if !json {
                print("\(repoID) @ \(model.revision) (\(model.manifest.commit.prefix(10))), \(model.format) → \(out) (\(outType.rawValue))")
                for s in sources { for f in s.weightFiles { print("  \(formatBytes(f.size).leftPad(10))  \(s.repo)/\(f.path)") } }
                print("to download \(formatBytes(fetchBytes)), output \(formatBytes(outputBytes)), disk needed \(formatBytes(disk.needed))\(disk.available.map { ", free \(formatBytes($0))" } ?? "")")
            }
            return Summary(json: j, verifyPassed: nil)
        }

        // 3. Weights: shards fed to the converter as they arrive.
        let renderer = !json && StandardError.isTerminal ? PullProgressLine() : nil
        for w in plan.warnings { note("warning: \(w)") }
        let feeder = PullFeeder(items: feedOrder, downloader: downloader, cacheRoot: cacheRoot,
                                maxUnconsumed: deleteSources ? max(2, heldLimit) : nil, started: started, sampleProgress: renderer != nil)
        if let renderer { feeder.onProgress = { d in renderer.download(done: d.done, total: d.total, shard: d.shard) } }
        let deleted = DeletedList()
        for s in sources {
            guard let arriving = s.arriving else { continue }
            arriving.expectReads(of: plan.tensors.map(\.source), by: 0)
            arriving.onShardConsumed = { shard in
                if deleteSources, let f = s.weightFiles.first(where: { $0.path == shard }) {
                    Self.deleteSource(s, f, cacheRoot: cacheRoot)
                    deleted.append(s.repo.description + "/" + shard)
                }
                feeder.shardConsumed()
            }
        }
        verification.registerReads()
        feeder.start()
        let converted: ConversionResult
        let written: AtomicOutputFile
        do {
            (converted, written) = try Converter().runUncommitted(plan, output: out, overwrite: force, observer: verification.observer) { p in
                let d = feeder.progress
                renderer?.convert(p, download: d)
            }
        } catch {
            // A download failure reaches the converter as the shard's error. Either way the
            // remaining downloads are abandoned with the process; their partial files resume.
            verification.conversionFailed(error)
            _ = try? verification.wait()
            throw feeder.error ?? error
        }
        try feeder.wait()
        renderer?.finish()
        note("hubkit: converted \(plan.tensors.count) tensors, \(formatBytes(converted.outputBytes)); finishing the verification")

        j["conversion"] = ["seconds": converted.seconds, "tensors": plan.tensors.count, "output_bytes": converted.outputBytes]
        // 4. The verification, one block behind the conversion, finishes.
        // The file goes under the output name only once verified; otherwise beside it, marked.
        let unverified = Self.unverifiedName(out)
        let report: VerifyReport
        do {
            report = try verification.wait()
        } catch {
            try? written.commit(to: unverified)
            throw PullFailure("the verification could not run (\(error)); the converted file is kept as \(unverified), not as \(out)")
        }
        if report.passed {
            try written.commit()
        } else {
            try written.commit(to: unverified)
            j["kept_as"] = unverified
            note("hubkit: the verification failed; the converted file is kept as \(unverified) for inspection, not as \(out)")
        }
        let data = try JSONEncoder().encode(report)
        j["verify"] = try JSONSerialization.jsonObject(with: data)
        j["verify_stages"] = verification.stageTimes.map { ["stage": $0.stage, "at": $0.at] as [String: Any] }
        // Shard times once both readers are done (the last shards are consumed by the logits).
        var shards: [[String: Any]] = []
        let events = sources.compactMap(\.arriving).reduce(into: [String: ArrivingWeights.ShardEvents]()) { acc, a in
            for (k, v) in a.shardEvents { acc[k] = v }
        }
        for t in feeder.timings {
            var s: [String: Any] = ["repo": t.repo, "shard": t.shard, "bytes": t.bytes]
            if let v = t.downloadStarted { s["download_started"] = v }
            if let v = t.downloaded { s["downloaded"] = v }
            if let e = events[t.shard] {
                if let v = e.firstViewAt { s["conversion_started"] = v.timeIntervalSince(started) }
                if let v = e.consumedAt { s["consumed"] = v.timeIntervalSince(started) }
            }
            shards.append(s)
        }
        j["shards"] = shards
        if !json { print(report.textTable()) }
        j["deleted_sources"] = deleted.items
        j["seconds"] = Date().timeIntervalSince(started)
        if !json { print(report.passed ? out : unverified) }
        return Summary(json: j, verifyPassed: report.passed)
    }

    /// Where a converted file that did not pass its verification is kept: `x.gguf` → `x.unverified.gguf`.
    static func unverifiedName(_ output: String) -> String {
        (output.hasSuffix(".gguf") ? String(output.dropLast(5)) : output) + ".unverified.gguf"
    }

    /// The conversion plan over the model's weights, or the delta merged on its base.
    private func makePlan(model: PullSource, base: PullSource?, options: ConversionOptions) throws -> ConversionPlan {
        guard let weights = model.weights else { throw PullFailure("internal: weights of \(model.repo) not opened") }
        guard let base else { return try ConversionPlan.make(folder: model.folder, options: options, weights: weights) }
        guard let baseWeights = base.weights else { throw PullFailure("internal: weights of \(base.repo) not opened") }
        var o = options
        o.deltaBase = base.format == "local" ? base.folder : base.repo.description
        o.deltaBaseCommit = base.format == "local" ? nil : base.manifest.commit
        return try ConversionPlan.make(folder: model.folder, options: o, weights: DeltaWeights(base: baseWeights, delta: weights), configFolder: base.folder)
    }

    /// Removes a downloaded source file from the cache: its snapshot link and its blob.
    private static func deleteSource(_ s: PullSource, _ f: Manifest.File, cacheRoot: String) {
        let layout = CacheLayout(root: cacheRoot)
        unlink(layout.snapshotFile(s.repo, commit: s.manifest.commit, path: f.path))
        unlink(layout.blob(s.repo, etag: f.etag))
    }

    /// Free space against what this pull needs; one filesystem or two (cache and output).
    private func checkDisk(cacheRoot: String, output: String, sources: Int64, outputBytes: Int64, fetchBytes: Int64) throws -> (needed: Int64, available: Int64?) {
        let outDir = (output as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: cacheRoot, withIntermediateDirectories: true)
        let sameDevice = deviceID(cacheRoot) != nil && deviceID(cacheRoot) == deviceID(outDir)
        let cacheFree = availableDiskSpace(at: cacheRoot)
        let outFree = availableDiskSpace(at: outDir)
        let needed = sources + outputBytes
        func refuse(_ where_: String, need: Int64, free: Int64) -> PullFailure {
            let how = deleteSources ? "" : "; --delete-sources needs only the output plus the shards in flight"
            let held = deleteSources ? "source shards held at once \(formatBytes(sources)) of \(formatBytes(fetchBytes)) to download" : "sources still to download \(formatBytes(sources))"
            return PullFailure("not enough disk space on \(where_): this pull needs \(formatBytes(need)) (\(held) + output \(formatBytes(outputBytes))) but \(formatBytes(free)) is available. Free some space\(how), or pass --force to try anyway")
        }
        if !force, !dryRun {
            if sameDevice, let free = cacheFree, needed > free { throw refuse(cacheRoot, need: needed, free: free) }
            if !sameDevice {
                if let free = cacheFree, sources > free { throw refuse(cacheRoot, need: sources, free: free) }
                if let free = outFree, outputBytes > free { throw refuse(outDir, need: outputBytes, free: free) }
            }
        }
        return (needed, cacheFree)
    }

    private func deviceID(_ path: String) -> UInt64? {
        var p = path
        while !FileManager.default.fileExists(atPath: p) {
            let parent = (p as NSString).deletingLastPathComponent
            if parent == p || parent.isEmpty { return nil }
            p = parent
        }
        var st = stat()
        guard stat(p, &st) == 0 else { return nil }
        return UInt64(st.st_dev)
    }
}
