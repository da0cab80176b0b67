import Foundation
import HubServer
import ModelHub
import Testing
import TestSupport

/// scripts/mock-freewilly (4 layers, so every one of the 29 / 14 shards holds a tensor) served by
/// an in-process TestHub, a temporary cache, output and verify-cache folder.
private struct FreeWillyHub {
    let dir: String
    let hub: TestHub
    var root: String { dir + "/root" }
    var cache: String { dir + "/hub" }
    var out: String { dir + "/out" }

    /// `layers`: 4 by default; 80 (FreeWilly2's count) spreads 2–4 blocks over each of the 29 shards as the real repo does.
    static func run(layers: Int = 4, lfsSizeThreshold: Int64 = 1 << 20, setup: (String) throws -> Void = { _ in },
                    _ body: (FreeWillyHub) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/hubkit-pull-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/mock-freewilly").standardized.path
        let made = try runChild("/usr/bin/env", ["python3", script, dir + "/root", "--layers", String(layers)], timeout: 300)
        guard made.status == 0 else {
            try? FileManager.default.removeItem(atPath: dir)
            throw PullTestFailure("mock-freewilly failed: \(made.stderr)")
        }
        do { try setup(dir + "/root") } catch {
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
        let hub = try await TestHub.start(repositories: dir + "/root", lfsSizeThreshold: lfsSizeThreshold)
        let bed = FreeWillyHub(dir: dir, hub: hub)
        var failure: Error?
        do { try await body(bed) } catch { failure = error }
        await hub.stop()
        try? FileManager.default.removeItem(atPath: dir)
        if let failure { throw failure }
    }

    var environment: [String: String] {
        ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": cache, "HUBKIT_VERIFY_CACHE": dir + "/verify-cache", "NO_COLOR": "1"]
    }

    func pull(_ args: [String], timeout: Double = 600) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await DownloadChild.run(["pull"] + args + ["--stall-timeout", "5", "--retry-wait", "0.05"], environment: environment, timeout: timeout)
    }

    /// Throttles FreeWilly2's last shard on the CDN to `seconds` for the whole file, for its first
    /// `times` GETs (nil: all; the third GET is its data, the first two read its header); returns its
    /// size. `file`: the refs/pr/35 safetensors shard, or main's `.bin` one.
    func slowLastShard(seconds: Int = 60, times: Int? = 3, file: String = "StableBeluga2@pr35/model-00029-of-00029.safetensors") throws -> Int {
        let last = root + "/stabilityai/" + file
        guard let size = (try FileManager.default.attributesOfItem(atPath: last)[.size] as? NSNumber)?.intValue else {
            throw PullTestFailure("no size for \(last)")
        }
        hub.faults.add(.throttle(bytesPerSecond: max(1, size / seconds)), path: "*" + (file as NSString).lastPathComponent, method: "GET", on: .cdn, times: times)
        return size
    }

    /// Weight-file requests (HEAD or GET, Hub or CDN) whose path ends with `suffix`.
    func weightRequests(_ suffix: String) -> [RecordedRequest] {
        hub.requests.filter { $0.decodedPath.hasSuffix(suffix) }
    }
}

private struct PullTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs a child to completion with a timeout (SIGKILL on overrun: Process.terminate is ignored here).
private func runChild(_ executable: String, _ args: [String], timeout: Double) throws -> (status: Int32, stdout: String, stderr: String) {
    let dir = NSTemporaryDirectory() + "hubkit-child-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    FileManager.default.createFile(atPath: dir + "/out", contents: nil)
    FileManager.default.createFile(atPath: dir + "/err", contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning {
        if Date() > deadline { kill(p.processIdentifier, SIGKILL); break }
        usleep(20_000)
    }
    while p.isRunning { usleep(10_000) }
    let out = String(decoding: FileManager.default.contents(atPath: dir + "/out") ?? Data(), as: UTF8.self)
    let err = String(decoding: FileManager.default.contents(atPath: dir + "/err") ?? Data(), as: UTF8.self)
    return (p.terminationStatus, out, err)
}

private func jsonObject(_ text: String) throws -> [String: Any] {
    guard let o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { throw PullTestFailure("not JSON: \(text)") }
    return o
}

/// gguf-py (the pinned independent reader) opens the file; returns its tensor count and the given string keys.
private func ggufPy(_ path: String, keys: [String] = []) throws -> (tensors: Int, values: [String: String]) {
    let script = """
    import sys, gguf
    r = gguf.GGUFReader(sys.argv[1])
    print(len(r.tensors))
    for k in sys.argv[2:]:
        f = r.fields.get(k)
        print(k + "=" + (f.contents() if f is not None else "<none>"))
    """
    let r = try runChild("/usr/bin/env", ["python3", "-c", script, path] + keys, timeout: 120)
    guard r.status == 0 else { throw PullTestFailure("gguf-py could not read \(path): \(r.stderr)") }
    let lines = r.stdout.split(whereSeparator: \.isNewline).map(String.init)
    var values: [String: String] = [:]
    for l in lines.dropFirst() { if let eq = l.firstIndex(of: "=") { values[String(l[..<eq])] = String(l[l.index(after: eq)...]) } }
    return (Int(lines.first ?? "") ?? -1, values)
}

private func shards(_ j: [String: Any]) -> [[String: Any]] { j["shards"] as? [[String: Any]] ?? [] }

@Suite("hubkit pull", .serialized)
struct PullCommandTests {
    @Test("pull stabilityai/FreeWilly2 follows the rename, takes refs/pr/35, fetches only safetensors and small files, converts and verifies")
    func freeWilly2() async throws {
        try await FreeWillyHub.run { bed in
            let out = bed.out + "/fw2.gguf"
            let r = try await bed.pull(["stabilityai/FreeWilly2", "--type", "q4_0", "-o", out, "--json"])
            try #require(r.status == 0, "\(r.stderr)")
            let j = try jsonObject(r.stdout)
            #expect(j["revision"] as? String == "refs/pr/35")
            #expect((j["revision_reason"] as? String)?.contains("refs/pr/35") == true)
            #expect(r.stderr.contains("using refs/pr/35"))
            #expect((j["verify"] as? [String: Any])?["passed"] as? Bool == true || ((j["verify"] as? [String: Any])?["failures"] as? [Any])?.isEmpty == true)
            #expect(shards(j).count == 29)
            // Renamed repository: answered with a redirect to StableBeluga2.
            #expect(bed.hub.requests.contains { $0.decodedPath.contains("stabilityai/FreeWilly2") && (300..<400).contains($0.status) })
            // Only safetensors and small files: not one .bin byte.
            #expect(bed.weightRequests(".bin").isEmpty)
            #expect(bed.hub.requests.contains { $0.decodedPath.hasSuffix("model-00029-of-00029.safetensors") && $0.listener == .cdn })
            // The cache has the PR ref and the shards under the requested name.
            let repo = RepoID("stabilityai/FreeWilly2")!
            let commit = try String(contentsOfFile: CacheLayout(root: bed.cache).refFile(repo, revision: "refs/pr/35"), encoding: .utf8)
            #expect(commit == j["commit"] as? String)
            #expect(FileManager.default.fileExists(atPath: CacheLayout(root: bed.cache).snapshotFile(repo, commit: commit, path: "model-00001-of-00029.safetensors")))
            let g = try ggufPy(out, keys: ["general.architecture", "hubkit.source.repo"])
            #expect(g.tensors == 2 + 4 * 9 + 1)
            #expect(g.values["general.architecture"] == "llama" && g.values["hubkit.source.repo"] == "stabilityai/FreeWilly2")
            // The pipelined file is the file `hubkit convert` writes from the finished download:
            // same keys and values (provenance included), same tensor bytes.
            let conv = bed.out + "/convert.gguf"
            // No --revision: main is not cached, the PR is; convert takes it and says so.
            let c = try await DownloadChild.run(["convert", "stabilityai/FreeWilly2", "--type", "q4_0", "-o", conv],
                                                environment: bed.environment, timeout: 300)
            try #require(c.status == 0, "\(c.stderr)")
            #expect(c.stderr.contains("converting refs/pr/35"), "\(c.stderr)")
            let same = try runChild("/usr/bin/env", ["python3", "-c", """
            import sys, gguf, numpy as np
            a, b = gguf.GGUFReader(sys.argv[1]), gguf.GGUFReader(sys.argv[2])
            ka = {k: str(f.contents()) for k, f in a.fields.items() if not k.startswith("GGUF.")}
            kb = {k: str(f.contents()) for k, f in b.fields.items() if not k.startswith("GGUF.")}
            assert ka == kb, set(ka.items()) ^ set(kb.items())
            tb = {t.name: t for t in b.tensors}
            for t in a.tensors:
                assert t.tensor_type == tb[t.name].tensor_type and np.array_equal(t.data, tb[t.name].data), t.name
            assert len(a.tensors) == len(b.tensors)
            print("same")
            """, out, conv], timeout: 120)
            #expect(same.status == 0 && same.stdout.contains("same"), "\(same.stderr)")
        }
    }

    @Test("conversion of the first shards starts while the last shard is still downloading")
    func pipelined() async throws {
        try await FreeWillyHub.run { bed in
            // The last shard trickles in from the CDN: ~2.5 s for the whole file.
            _ = try bed.slowLastShard(seconds: 3, times: nil)
            let out = bed.out + "/fw2.gguf"
            let r = try await bed.pull(["stabilityai/FreeWilly2", "--type", "q8_0", "-o", out, "--json"])
            try #require(r.status == 0, "\(r.stderr)")
            let s = shards(try jsonObject(r.stdout))
            try #require(s.count == 29)
            let firstConverted = try #require(s[0]["conversion_started"] as? Double)
            let firstReady = try #require(s[0]["downloaded"] as? Double)
            let lastStarted = try #require(s[28]["download_started"] as? Double)
            let lastDone = try #require(s[28]["downloaded"] as? Double)
            #expect(firstReady <= firstConverted)
            #expect(firstConverted < lastStarted, "shard 1 converted at \(firstConverted) s, shard 29 started at \(lastStarted) s")
            #expect(lastDone - firstConverted > 1.0, "conversion of shard 1 should overlap the slow last shard")
            // Every shard before the last was being converted before the last one arrived.
            let convertedBeforeLast = s.dropLast().filter { ($0["conversion_started"] as? Double ?? .infinity) < lastDone }.count
            #expect(convertedBeforeLast == 28)
        }
    }

    @Test("--revision main plans the 29 float32 .bin shards from their remote zip directories and converts each as it arrives")
    func binRevision() async throws {
        try await FreeWillyHub.run { bed in
            _ = try bed.slowLastShard(seconds: 3, times: nil, file: "StableBeluga2/pytorch_model-00029-of-00029.bin")
            let out = bed.out + "/fw2-bin.gguf"
            let r = try await bed.pull(["stabilityai/FreeWilly2", "--revision", "main", "--type", "q4_0", "-o", out, "--json"])
            try #require(r.status == 0, "\(r.stderr)")
            let j = try jsonObject(r.stdout)
            #expect(j["revision"] as? String == "main" && j["format"] as? String == "pytorch")
            #expect(j["revision_reason"] == nil)
            #expect(bed.weightRequests(".safetensors").isEmpty)
            let binGets = bed.weightRequests(".bin").filter { $0.listener == .cdn && $0.method == "GET" }
            #expect(Set(binGets.map { ($0.decodedPath as NSString).lastPathComponent }).count == 29)
            // Planning read only pieces (ranged: the zip's tail, data.pkl); each file's data came in one transfer.
            for (file, gets) in Dictionary(grouping: binGets, by: { ($0.decodedPath as NSString).lastPathComponent }) {
                #expect(gets.filter { $0.range == nil }.count == 1 && gets.filter { $0.range != nil }.count <= 4, "\(file): \(gets.map { $0.range ?? "-" })")
            }
            // Pipelined: shard 1 converted before the slow last shard started; all others before it arrived.
            let s = shards(j)
            try #require(s.count == 29)
            let lastDone = try #require(s[28]["downloaded"] as? Double)
            #expect(try #require(s[0]["conversion_started"] as? Double) < (s[28]["download_started"] as? Double ?? 0))
            #expect(s.dropLast().filter { ($0["conversion_started"] as? Double ?? .infinity) < lastDone }.count == 28)
            let verify = try #require(j["verify"] as? [String: Any])
            #expect((verify["failures"] as? [Any])?.isEmpty == true, "\(verify["failures"] ?? "")")
            #expect(try ggufPy(out).tensors == 39)
        }
    }

    @Test("a file that fails its verification is not put under the output name: kept as .unverified.gguf, exit 3")
    func failedVerification() async throws {
        // Layer 0's q_proj on refs/pr/35 becomes blocks of 31 × 0.5 and one −8.5: Q4_0 rounds the
        // 0.5s to 0 (relative RMSE ≈ 0.31, over Q4_0's 0.25), so a correct converter writes a file
        // that verify must fail.
        let hostile = """
        import json, struct, sys, numpy as np
        folder = sys.argv[1]
        name = "model.layers.0.self_attn.q_proj.weight"
        shard = json.load(open(folder + "/model.safetensors.index.json"))["weight_map"][name]
        with open(folder + "/" + shard, "r+b") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            h = json.loads(f.read(n))
            a, b = h[name]["data_offsets"]
            v = np.full((b - a) // 4, 0.5, np.float32); v[::32] = -8.5
            f.seek(8 + n + a); f.write(v.tobytes())
        """
        try await FreeWillyHub.run(setup: { root in
            let r = try runPython(hostile, [root + "/stabilityai/StableBeluga2@pr35"])
            guard r.status == 0 else { throw PullTestFailure("could not rewrite q_proj: \(r.stderr)") }
        }) { bed in
            let out = bed.out + "/fw2.gguf"
            let r = try await bed.pull(["stabilityai/FreeWilly2", "--type", "q4_0", "-o", out, "--json"])
            #expect(r.status == 3, "\(r.stderr)")
            let j = try jsonObject(r.stdout)
            let failures = (j["verify"] as? [String: Any])?["failures"] as? [String] ?? []
            #expect(failures.contains { $0.hasPrefix("blk.0.attn_q.weight") }, "\(failures)")
            #expect(j["kept_as"] as? String == bed.out + "/fw2.unverified.gguf")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.out)) ?? []) == ["fw2.unverified.gguf"])
        }
    }

    @Test("FreeWilly1 with --delete-sources: delta and base shards go once the merge and the merged reference pass used them")
    func freeWilly1DeleteSources() async throws {
        try await FreeWillyHub.run { bed in
            let out = bed.out + "/fw1.gguf"
            let r = try await bed.pull(["stabilityai/FreeWilly1-Delta-SafeTensor", "--delta-base", "huggyllama/llama-65b",
                                        "--type", "q8_0", "-o", out, "--json", "--delete-sources"])
            try #require(r.status == 0, "\(r.stderr)")
            let j = try jsonObject(r.stdout)
            let deleted = j["deleted_sources"] as? [String] ?? []
            #expect(deleted.filter { $0.hasPrefix("stabilityai/") }.count == 14 && deleted.filter { $0.hasPrefix("huggyllama/") }.count == 14, "\(deleted)")
            let verify = try #require(j["verify"] as? [String: Any])
            #expect(verify["passed"] as? Bool == true && (verify["hiddenDrift"] as? [Double])?.count == 4, "\(verify["failures"] ?? "")")
            #expect((j["source_shards_held"] as? Int ?? 0) >= 4)
        }
    }

    @Test("--revision main --delete-sources: the .bin shards go once the conversion and the verification are done")
    func deleteBinSources() async throws {
        try await FreeWillyHub.run { bed in
            let out = bed.out + "/fw2-bin.gguf"
            let r = try await bed.pull(["stabilityai/FreeWilly2", "--revision", "main", "--type", "q8_0", "-o", out, "--json", "--delete-sources"])
            try #require(r.status == 0, "\(r.stderr)")
            let j = try jsonObject(r.stdout)
            let deleted = j["deleted_sources"] as? [String] ?? []
            #expect(deleted.count == 29 && deleted.allSatisfy { $0.hasSuffix(".bin") }, "\(deleted)")
            let verify = try #require(j["verify"] as? [String: Any])
            #expect(verify["passed"] as? Bool == true && (verify["hiddenDrift"] as? [Double])?.count == 4, "\(verify["failures"] ?? "")")
            let snapshot = CacheLayout(root: bed.cache).snapshotFolder(RepoID("stabilityai/FreeWilly2")!, commit: try #require(j["commit"] as? String))
            let left = (try? FileManager.default.contentsOfDirectory(atPath: snapshot)) ?? []
            #expect(!left.contains { $0.hasSuffix(".bin") }, "\(left)")
        }
    }

    @Test("FreeWilly1: the delta plus LLaMA-65B, merged while converting, verifies against the merged weights")
    func freeWilly1Delta() async throws {
        try await FreeWillyHub.run { bed in
            let out = bed.out + "/fw1.gguf"
            let r = try await bed.pull(["stabilityai/FreeWilly1-Delta-SafeTensor", "--delta-base", "huggyllama/llama-65b",
                                        "--type", "q4_0", "-o", out, "--json"])
            try #require(r.status == 0, "\(r.stderr)")
            let j = try jsonObject(r.stdout)
            #expect((j["delta_base"] as? [String: Any])?["repo"] as? String == "huggyllama/llama-65b")
            #expect(shards(j).count == 28)  // 14 delta + 14 base shards, interleaved as the converter needs them
            let verify = try #require(j["verify"] as? [String: Any])
            #expect((verify["failures"] as? [Any])?.isEmpty == true, "\(verify["failures"] ?? "")")
            let g = try ggufPy(out, keys: ["hubkit.delta.base"])
            #expect(g.tensors == 39 && g.values["hubkit.delta.base"] == "huggyllama/llama-65b")
            // The merged weights were never written: only the two repos' blobs and the GGUF exist.
            let fm = FileManager.default
            #expect(((try? fm.contentsOfDirectory(atPath: bed.out)) ?? []) == ["fw1.gguf"])
        }
    }

    @Test("--delete-sources removes each shard once the conversion and the streamed reference pass have used it; verify is whole")
    func deleteSources() async throws {
        try await FreeWillyHub.run(layers: 80) { bed in
            let out = bed.out + "/fw2.gguf"
            let r = try await bed.pull(["stabilityai/FreeWilly2", "--type", "q4_0", "-o", out, "--json", "--delete-sources"])
            try #require(r.status == 0, "\(r.stderr)")
            let j = try jsonObject(r.stdout)
            #expect((j["deleted_sources"] as? [String])?.count == 29)
            // The full verification ran on sources deleted as it went: every tensor, the hidden
            // state after every block, and the logits.
            let verify = try #require(j["verify"] as? [String: Any])
            #expect(verify["passed"] as? Bool == true, "\(verify["failures"] ?? "")")
            #expect((verify["tensors"] as? [[String: Any]])?.count == 723)
            #expect((verify["hiddenDrift"] as? [Double])?.count == 80)
            let logits = try #require(verify["logits"] as? [String: Any])
            #expect((logits["scoredTokens"] as? Int ?? 0) > 0, "\(logits)")
            // A shard went only once the reference pass had reached the last block it holds
            // (the final norm and lm_head: the logits), read from the index kept in the snapshot.
            let stages = try #require(j["verify_stages"] as? [[String: Any]])
            func reached(_ stage: String) -> Double { stages.first { $0["stage"] as? String == stage }?["at"] as? Double ?? .infinity }
            let snapshotIndex = CacheLayout(root: bed.cache).snapshotFolder(RepoID("stabilityai/FreeWilly2")!, commit: try #require(j["commit"] as? String))
                + "/model.safetensors.index.json"
            let weightMap = try #require((try jsonObject(String(contentsOfFile: snapshotIndex, encoding: .utf8)))["weight_map"] as? [String: String])
            var lastStage: [String: (order: Int, name: String)] = [:]
            for (tensor, shard) in weightMap {
                let parts = tensor.split(separator: ".")
                let stage: (Int, String)
                if tensor == "model.embed_tokens.weight" { stage = (0, "streaming") }
                else if parts.count > 2, parts[1] == "layers", let l = Int(parts[2]) { stage = (l + 1, "block \(l + 1)/80") }
                else { stage = (99, "logits") }
                if stage.0 >= lastStage[shard]?.order ?? -1 { lastStage[shard] = stage }
            }
            var checked = 0
            for shard in shards(j) {
                guard let name = shard["shard"] as? String, let stage = lastStage[name], stage.name != "streaming" else { continue }
                let start = stages.first { ($0["stage"] as? String)?.hasPrefix(stage.name) == true }?["at"] as? Double ?? .infinity
                #expect(shard["consumed"] as? Double ?? 0 >= start, "\(name) was deleted before the reference pass reached \(stage.name)")
                checked += 1
            }
            #expect(checked > 20 && reached("logits") < .infinity)
            let repo = RepoID("stabilityai/FreeWilly2")!
            let layout = CacheLayout(root: bed.cache)
            let fm = FileManager.default
            let snapshot = layout.snapshotFolder(repo, commit: try #require(j["commit"] as? String))
            let linked = try fm.contentsOfDirectory(atPath: snapshot)
            // Only the small files (config, tokenizer, index…) remain, and every blob left is one of theirs.
            #expect(!linked.contains { $0.hasSuffix(".safetensors") }, "\(linked)")
            let targets = Set(linked.compactMap { try? fm.destinationOfSymbolicLink(atPath: snapshot + "/" + $0) }.map { ($0 as NSString).lastPathComponent })
            let blobs = Set((try? fm.contentsOfDirectory(atPath: layout.blobsFolder(repo))) ?? [])
            #expect(blobs == targets, "orphans: \(blobs.subtracting(targets))")
            // Never more shards downloaded and not yet consumed than the plan said it would hold.
            let held = try #require(j["source_shards_held"] as? Int)
            let s = shards(j)
            #expect(held == 2)  // the real layout: 2–4 blocks a shard, a block across two at most
            for (i, shard) in s.enumerated() {
                let consumed = shard["consumed"] as? Double ?? .infinity
                #expect(consumed >= shard["conversion_started"] as? Double ?? .infinity)
                guard i >= held else { continue }
                let started = shard["download_started"] as? Double ?? 0
                #expect(s[i - held]["consumed"] as? Double ?? .infinity <= started, "shard \(i + 1) started before shard \(i + 1 - held) was consumed")
            }
            #expect(try ggufPy(out).tensors == 723)
        }
    }

    @Test("--dry-run plans the disk: sources + output, or with --delete-sources output + the 2 shards the real layout holds at once")
    func diskPlan() async throws {
        try await FreeWillyHub.run(layers: 80) { bed in
            let plain = try jsonObject(try await bed.pull(["stabilityai/FreeWilly2", "--type", "q4_0", "--dry-run", "--json", "-o", bed.out + "/a.gguf"]).stdout)
            let lean = try jsonObject(try await bed.pull(["stabilityai/FreeWilly2", "--type", "q4_0", "--dry-run", "--json", "--delete-sources", "-o", bed.out + "/a.gguf"]).stdout)
            let fetch = try #require(plain["bytes_to_download"] as? Int64), output = try #require(plain["output_bytes"] as? Int64)
            let files = try #require(plain["files"] as? [[String: Any]])
            let largest = files.compactMap { $0["size"] as? Int64 }.max() ?? 0
            #expect(files.count == 29 && files.allSatisfy { ($0["path"] as? String)?.hasSuffix(".safetensors") == true })
            #expect(plain["disk_needed"] as? Int64 == fetch + output)
            let held = try #require(lean["source_shards_held"] as? Int64)
            #expect(lean["disk_needed"] as? Int64 == output + held * largest)
            #expect(held == 2)
            #expect(!FileManager.default.fileExists(atPath: bed.out + "/a.gguf"))
            // A dry run reads the shards' headers (ranged) but no weight data.
            let shardGets = bed.hub.requests.filter { $0.decodedPath.hasSuffix(".safetensors") && $0.method == "GET" && $0.listener == .cdn }
            #expect(!shardGets.isEmpty && shardGets.allSatisfy { $0.range != nil })
        }
    }

    @Test("refuses a pull that does not fit on the disk, naming need and available, before any weight transfer",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount"), "needs root to mount a small tmpfs"))
    func diskShort() async throws {
        try await FreeWillyHub.run { bed in
            let mount = bed.dir + "/small"
            try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
            let mounted = try runChild("/bin/mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", mount], timeout: 20)
            try #require(mounted.status == 0, "\(mounted.stderr)")
            defer { _ = try? runChild("/bin/umount", [mount], timeout: 20) }
            var env = bed.environment
            env["HF_HUB_CACHE"] = mount + "/hub"
            let r = try await DownloadChild.run(["pull", "stabilityai/FreeWilly2", "--type", "q4_0", "-o", mount + "/fw2.gguf"], environment: env, timeout: 120)
            #expect(r.status == 1)
            #expect(r.stderr.contains("not enough disk space") && r.stderr.contains("available") && r.stderr.contains("--force"), "\(r.stderr)")
            let shardGets = bed.hub.requests.filter { $0.decodedPath.hasSuffix(".safetensors") && $0.method == "GET" && $0.listener == .cdn }
            #expect(shardGets.allSatisfy { $0.range != nil }, "a weight transfer started")
            #expect(!FileManager.default.fileExists(atPath: mount + "/fw2.gguf"))
        }
    }

    @Test("a shard that keeps arriving corrupt stops the pull with the download's error and leaves no output")
    func corruptShard() async throws {
        try await FreeWillyHub.run { bed in
            let shard = bed.root + "/stabilityai/StableBeluga2@pr35/model-00005-of-00029.safetensors"
            let size = try #require((try FileManager.default.attributesOfItem(atPath: shard)[.size] as? NSNumber)?.intValue)
            // The last byte: tensor data, past the header that pull reads ahead.
            bed.hub.faults.add(.corruptByte(atOffset: Int64(size - 1)), path: "*model-00005-of-00029.safetensors", method: "GET", on: .cdn, times: nil)
            let out = bed.out + "/fw2.gguf"
            let r = try await bed.pull(["stabilityai/FreeWilly2", "--type", "q4_0", "-o", out])
            #expect(r.status == 1)
            #expect(r.stderr.contains("model-00005-of-00029.safetensors") && r.stderr.lowercased().contains("sha256"), "\(r.stderr)")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.out)) ?? []).isEmpty)
            // Shards after the bad one were never requested.
            #expect(bed.weightRequests("model-00006-of-00029.safetensors").allSatisfy { $0.range != nil })
        }
    }

    @Test("Ctrl-C during a pull removes the GGUF being written and ends by the signal")
    func interrupted() async throws {
        try await FreeWillyHub.run { bed in
            _ = try bed.slowLastShard()
            let out = bed.out + "/fw2.gguf"
            let child = try DownloadChild(["pull", "stabilityai/FreeWilly2", "--type", "q4_0", "-o", out, "--stall-timeout", "5"], environment: bed.environment)
            let deadline = Date().addingTimeInterval(120)
            var partial: [String] = []
            while Date() < deadline, partial.isEmpty {
                partial = ((try? FileManager.default.contentsOfDirectory(atPath: bed.out)) ?? []).filter { $0.hasSuffix(".partial") }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            try #require(!partial.isEmpty, "the conversion never started")
            _ = Foundation.kill(child.process.processIdentifier, SIGINT)
            let r = await child.wait(timeout: 20)
            #expect(child.process.terminationReason == .uncaughtSignal && r.status == SIGINT, "status \(r.status): \(r.stderr)")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.out)) ?? []).isEmpty)
        }
    }

    @Test("a killed pull, run again, fetches only what is missing and finishes")
    func resumeAfterKill() async throws {
        try await FreeWillyHub.run { bed in
            let size = try bed.slowLastShard()
            let out = bed.out + "/fw2.gguf"
            let args = ["pull", "stabilityai/FreeWilly2", "--type", "q4_0", "-o", out, "--json", "--stall-timeout", "5", "--retry-wait", "0.05"]
            let child = try DownloadChild(args, environment: bed.environment)
            let repo = RepoID("stabilityai/FreeWilly2")!
            let refFile = CacheLayout(root: bed.cache).refFile(repo, revision: "refs/pr/35")
            let deadline = Date().addingTimeInterval(120)
            var linked = 0
            while Date() < deadline {
                if let commit = try? String(contentsOfFile: refFile, encoding: .utf8) {
                    let snap = CacheLayout(root: bed.cache).snapshotFolder(repo, commit: commit)
                    linked = ((try? FileManager.default.contentsOfDirectory(atPath: snap)) ?? []).filter { $0.hasSuffix(".safetensors") }.count
                    if linked == 28 { break }
                }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            try await Task.sleep(nanoseconds: 1_500_000_000)  // some of the last shard arrives
            child.kill()
            _ = await child.wait(timeout: 10)
            try #require(linked == 28, "only \(linked) shards arrived before the kill")
            #expect(!FileManager.default.fileExists(atPath: out))
            let before = bed.hub.requests.count

            // The killed run's temporary GGUF is still there; the next run removes it.
            let stale = ((try? FileManager.default.contentsOfDirectory(atPath: bed.out)) ?? []).filter { $0.hasSuffix(".partial") }
            #expect(stale.count == 1, "\(stale)")
            let r = try await bed.pull(["stabilityai/FreeWilly2", "--type", "q4_0", "-o", out, "--json"])
            try #require(r.status == 0, "\(r.stderr)")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.out)) ?? []) == ["fw2.gguf"])
            let again = bed.hub.requests.dropFirst(before).filter { $0.listener == .cdn && $0.method == "GET" && $0.decodedPath.hasSuffix(".safetensors") }
            // Shards 1–28: only the header reads again (ranged, from byte 0); no data transfer.
            let whole = again.filter { $0.range == nil }
            #expect(whole.isEmpty, "\(whole.map(\.decodedPath))")
            // The last shard resumed from where the killed run stopped.
            let resumed = again.filter { req in
                guard req.decodedPath.hasSuffix("model-00029-of-00029.safetensors"), let range = req.range, range.hasPrefix("bytes="),
                      let start = Int(range.dropFirst(6).split(separator: "-").first ?? "") else { return false }
                return start > 0 && range.hasSuffix("-\(size - 1)")  // a data range to the end, not a header read
            }
            #expect(!resumed.isEmpty, "\(again.map { "\($0.decodedPath) \($0.range ?? "-")" })")
            #expect(try ggufPy(out).tensors == 39)
        }
    }

    @Test("a gated repository: refused without a token, pulled with --token, never sending it to the CDN")
    func gated() async throws {
        let gate: (String) throws -> Void = { root in
            let folder = root + "/stabilityai/StableBeluga2"
            var settings = try RepoSettings.load(folder: folder)
            settings.access = .gated
            settings.tokens = ["hf_beluga"]
            try JSONEncoder().encode(settings).write(to: URL(fileURLWithPath: folder + "/.hubkit-repo.json"))
        }
        try await FreeWillyHub.run(setup: gate) { bed in
            let out = bed.out + "/fw2.gguf"
            let refused = try await bed.pull(["stabilityai/FreeWilly2", "--type", "q4_0", "-o", out])
            #expect(refused.status == 1 && refused.stderr.contains("gated"), "\(refused.stderr)")
            #expect(!bed.hub.requests.contains { $0.listener == .cdn })
            let before = bed.hub.requests.count
            let r = try await bed.pull(["stabilityai/FreeWilly2", "--type", "q4_0", "-o", out, "--token", "hf_beluga", "--json"])
            try #require(r.status == 0, "\(r.stderr)")
            let cdn = bed.hub.requests.filter { $0.listener == .cdn }
            #expect(!cdn.isEmpty && cdn.allSatisfy { $0.authorization == nil })
            let resolves = bed.hub.requests.dropFirst(before).filter { $0.listener == .hub && $0.decodedPath.contains("/resolve/") }
            #expect(!resolves.isEmpty && resolves.allSatisfy { $0.authorization == "Bearer hf_beluga" })
        }
    }

    @Test("an unsupported architecture is refused before any weight is requested")
    func unsupportedArchitecture() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.addRepository("org/gpt2ish", textFiles: ["config.json": "{\"architectures\":[\"GPT2LMHeadModel\"],\"model_type\":\"gpt2\"}",
                                                              "tokenizer.json": "{}"])
        try fixture.addRandomFile("org/gpt2ish", path: "model.safetensors", size: 2 << 20, seed: 5)
        let hub = try await TestHub.start(repositories: fixture.root, lfsSizeThreshold: 1 << 20)
        let cache = FileManager.default.temporaryDirectory.path + "/hubkit-pullcache-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let r = try await DownloadChild.run(["pull", "org/gpt2ish", "--type", "q4_0", "-o", cache + "/x.gguf"],
                                            environment: ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": cache], timeout: 120)
        let requests = hub.requests
        await hub.stop()
        #expect(r.status == 1)
        #expect(r.stderr.contains("GPT2LMHeadModel"), "\(r.stderr)")
        #expect(!requests.contains { $0.decodedPath.hasSuffix("model.safetensors") }, "\(requests.map(\.decodedPath))")
        #expect(requests.contains { $0.decodedPath.hasSuffix("config.json") })
        #expect(!FileManager.default.fileExists(atPath: cache + "/x.gguf"))
    }

    @Test("download of a .bin-only main prints a one-line hint naming the conversion PR")
    func downloadHint() async throws {
        try await FreeWillyHub.run { bed in
            let r = try await DownloadChild.run(["download", "stabilityai/FreeWilly2", "--dry-run"], environment: bed.environment, timeout: 120)
            try #require(r.status == 0, "\(r.stderr)")
            let hints = r.stderr.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("hint:") }
            #expect(hints.count == 1 && hints[0].contains("refs/pr/35"), "\(r.stderr)")
            let pr = try await DownloadChild.run(["download", "stabilityai/FreeWilly2", "--revision", "refs/pr/35", "--dry-run"],
                                                 environment: bed.environment, timeout: 120)
            #expect(pr.status == 0 && !pr.stderr.contains("hint:"))
        }
    }
}
