import Conversion
import Foundation
import ModelHub
import PyTorchCheckpoint
import SafeTensors

/// One repository `pull` reads from (the model, or a delta's base): which revision it took and
/// why, its small files already in the cache, and its weights still to download — safetensors
/// planned from their remote headers, or PyTorch `.bin` shards from their remote zip directory
/// and pickle.
final class PullSource: @unchecked Sendable {
    let repo: RepoID
    /// The revision used (`main`, `refs/pr/35`, …) and the sentence saying why.
    let revision: String
    let revisionReason: String?
    let manifest: Manifest
    /// The snapshot folder in the cache.
    let folder: String
    /// Weight files (shards still to fetch).
    let weightFiles: [Manifest.File]
    /// The weights the converter reads.
    let weights: (any WeightSource)?
    /// The arriving shards (nil for a local folder).
    let arriving: ArrivingWeights?
    let format: String

    /// Files every conversion and verification needs, fetched before any weight.
    static let smallFiles: Set<String> = [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json",
        "special_tokens_map.json", "added_tokens.json", "chat_template.jinja",
        ShardIndex.fileName, "pytorch_model.bin.index.json",
    ]

    init(repo: RepoID, revision: String, reason: String?, manifest: Manifest, folder: String, weightFiles: [Manifest.File],
         weights: (any WeightSource)?, arriving: ArrivingWeights?, format: String) {
        self.repo = repo
        self.revision = revision
        revisionReason = reason
        self.manifest = manifest
        self.folder = folder
        self.weightFiles = weightFiles
        self.weights = weights
        self.arriving = arriving
        self.format = format
    }

    /// Which revision to read: the one asked for; else `main` when it has safetensors; else the
    /// Hub's safetensors conversion pull request when there is one; else `main`'s `.bin` files.
    static func chooseRevision(_ repo: RepoID, asked: String?, client: HubClient) throws -> (Manifest, String?) {
        if let asked { return (try client.manifest(repo, revision: asked), nil) }
        let main = try client.manifest(repo, revision: "main")
        let formats = WeightFormats(main)
        if formats.safetensors || !formats.pytorch { return (main, nil) }
        if let pr = try client.conversionPullRequest(repo) {
            return (pr.manifest, "\(repo)'s main branch has only PyTorch .bin weights; using \(pr.revision), the Hub's safetensors conversion (pass --revision main to read the .bin files)")
        }
        return (main, "\(repo)'s main branch has only PyTorch .bin weights and no safetensors conversion pull request: reading its .bin files (no code from them is run)")
    }

    /// Resolves the revision, fetches the small files, refuses an unsupported architecture (before
    /// any weight request), then plans the weights. `download` fetches files into the cache.
    static func prepare(_ repo: RepoID, asked: String?, client: HubClient, downloader: HubDownloader, cacheRoot: String,
                        force: Bool, checkArchitecture: Bool, manifestsDirectory: String?) throws -> PullSource {
        let (manifest, reason) = try chooseRevision(repo, asked: asked, client: client)
        let revision = manifest.revision
        let small = manifest.files.filter { smallFiles.contains($0.path) }.map(\.path)
        guard small.contains("config.json") else {
            throw PullFailure("\(repo)@\(revision) has no config.json: not a transformers model folder")
        }
        // At the commit just resolved (a moving branch cannot mix two commits), then the ref.
        let fetched = try downloader.download(DownloadRequest(repo: repo, revision: manifest.commit, files: small,
                                                              destination: .cache(root: cacheRoot), force: force))
        try HubCache(root: cacheRoot).writeRef(repo, revision: revision, commit: manifest.commit)
        let folder = fetched.path
        if checkArchitecture {
            let raw = FileManager.default.contents(atPath: folder + "/config.json")
            let json = raw.flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any] ?? [:]
            _ = try ArchitectureRegistry.load(directory: manifestsDirectory)
                .manifest(architectures: json["architectures"] as? [String] ?? [], modelType: json["model_type"] as? String)
        }
        let byPath = Dictionary(manifest.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let formats = WeightFormats(manifest)
        // Safetensors: each shard's header; PyTorch zips: the directory at the file's end and the
        // pickle at its start. Either way a few ranged reads a shard, no tensor data.
        let layout: (index: String, single: String, format: String, plan: (Manifest.File) throws -> ArrivingWeights.Shard)
        if formats.safetensors {
            layout = (ShardIndex.fileName, "model.safetensors", "safetensors", { try remoteHeader($0, repo: repo, commit: manifest.commit, client: client) })
        } else if formats.pytorch {
            layout = (PyTorchFileNames.index, PyTorchFileNames.single, "pytorch", { try remoteCheckpoint($0, repo: repo, commit: manifest.commit, client: client) })
        } else {
            throw PullFailure("\(repo)@\(revision) holds no safetensors and no PyTorch .bin weights")
        }
        var index: ShardIndex?
        let names: [String]
        if byPath[layout.index] != nil {
            let i = try ShardIndex(path: folder + "/" + layout.index)
            index = i
            names = i.shards.sorted()
        } else if byPath[layout.single] != nil {
            names = [layout.single]
        } else {
            throw PullFailure("\(repo)@\(revision) has \(layout.format) weights but neither \(layout.single) nor \(layout.index)")
        }
        var files: [Manifest.File] = []
        var shards: [ArrivingWeights.Shard] = []
        for name in names {
            guard let f = byPath[name] else {
                throw SafeTensorsError.missingShard(shard: name, folder: "\(repo)@\(revision)",
                                                    firstTensor: index?.weightMap.first { $0.shard == name }?.tensor ?? "?")
            }
            files.append(f)
            shards.append(try layout.plan(f))
        }
        let arriving = try ArrivingWeights(folder: folder, shards: shards, index: index)
        return PullSource(repo: repo, revision: revision, reason: reason, manifest: manifest, folder: folder, weightFiles: files,
                          weights: arriving, arriving: arriving, format: layout.format)
    }

    /// A `.bin` shard planned from its zip directory and pickle (`TorchCheckpoint.plannedTensors`);
    /// once downloaded it is opened by the restricted pickle reader and must list the same tensors.
    static func remoteCheckpoint(_ f: Manifest.File, repo: RepoID, commit: String, client: HubClient) throws -> ArrivingWeights.Shard {
        let planned = try TorchCheckpoint.plannedTensors(source: RemoteBytes(f, repo: repo, commit: commit, client: client))
        return ArrivingWeights.Shard(name: f.path, fileSize: UInt64(max(0, f.size)), tensors: planned) { path, plan in
            let checkpoint = try TorchCheckpoint(path: path)
            let same = checkpoint.tensors.count == plan.tensors.count
                && zip(checkpoint.tensors, plan.tensors).allSatisfy { $0.name == $1.name && $0.dtype == $1.dtype && $0.shape == $1.shape }
            guard same else {
                throw TorchCheckpointError.badTensor(path: path, tensor: "*", reason: "the downloaded checkpoint lists other tensors than its remote directory did")
            }
            return checkpoint
        }
    }

    /// A local folder (a `--delta-base` given as a path): nothing to download.
    static func local(folder: String) throws -> PullSource {
        let repo = try RepoID(parsing: "local/model")  // a placeholder: local sources are never fetched
        let manifest = Manifest(repo: repo, revision: "local", commit: String(repeating: "0", count: 40), files: [])
        return PullSource(repo: repo, revision: "local", reason: nil, manifest: manifest, folder: folder, weightFiles: [],
                          weights: try CheckpointWeights.open(folder: folder), arriving: nil, format: "local")
    }

    /// A shard's header from two ranged reads (bytes 0–7: the header length N; then bytes 8…8+N),
    /// validated against the file size the tree API lists.
    static func remoteHeader(_ f: Manifest.File, repo: RepoID, commit: String, client: HubClient) throws -> ArrivingWeights.Shard {
        guard f.size >= 8 else { throw SafeTensorsError.headerTooSmall(path: f.path, fileSize: UInt64(max(0, f.size))) }
        let lengthBytes = try client.read(f.path, in: repo, revision: commit, range: 0..<8)
        let n = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n <= SafeTensorsHeader.maxHeaderLength else { throw SafeTensorsError.headerTooLarge(path: f.path, length: n) }
        guard 8 + n <= UInt64(f.size) else { throw SafeTensorsError.invalidHeaderLength(path: f.path, length: n, fileSize: UInt64(f.size)) }
        let rest = n == 0 ? [] : try client.read(f.path, in: repo, revision: commit, range: 8..<Int64(8 + n))
        let prefix = lengthBytes + rest
        let header = try prefix.withUnsafeBytes { try SafeTensorsHeader.parse($0, fileSize: UInt64(f.size), path: "\(repo)/\(f.path)") }
        return ArrivingWeights.Shard(name: f.path, fileSize: UInt64(f.size), header: header)
    }
}

/// A `pull` failure that is not a usage error (exit 1, message as given).
struct PullFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
