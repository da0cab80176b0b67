import Foundation
import GGUF
import SafeTensors

extension ConversionPlan {
    /// `general.*`, the architecture keys (from the manifest's config map, with the exact GGUF
    /// types llama.cpp's strict loader expects), tokenizer keys, then hubkit's provenance keys.
    static func buildMetadata(folder: String, config: LlamaConfig, manifest: ArchitectureManifest, vocab: Vocabulary,
                              nVocab: Int, options: ConversionOptions, weights: any WeightSource) -> [(key: String, value: GGUFValue)] {
        let arch = manifest.ggufArchitecture
        let cache = Provenance.fromSnapshotPath(folder)
        let repo = options.sourceRepo ?? cache?.repo
        let commit = options.sourceCommit ?? cache?.commit
        let name = options.name ?? repo.map { String($0.split(separator: "/").last ?? "") } ?? URL(fileURLWithPath: folder).standardized.lastPathComponent

        var kv: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string(arch)),
            ("general.type", .string("model")),
            ("general.name", .string(name)),
            ("general.file_type", .uint32(options.type.fileType)),
        ]
        if options.type.isQuantized { kv.append(("general.quantization_version", .uint32(2))) }
        if let repo { kv.append(("general.source.huggingface.repository", .string(repo))) }

        // Architecture keys from the manifest: first present config key wins.
        let raw = (FileManager.default.contents(atPath: folder + "/config.json")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]) ?? [:]
        for rule in manifest.metadata {
            guard let source = rule.config.first(where: { raw[$0] != nil && !(raw[$0] is NSNull) }), let value = raw[source] else { continue }
            let key = rule.key.replacingOccurrences(of: "{arch}", with: arch)
            switch rule.type {
            case "uint32": if let n = (value as? NSNumber)?.uint32Value { kv.append((key, .uint32(n))) }
            case "float32": if let n = (value as? NSNumber)?.floatValue { kv.append((key, .float32(n))) }
            case "bool": if let b = value as? Bool { kv.append((key, .bool(b))) }
            case "string": if let s = value as? String { kv.append((key, .string(s))) }
            default: continue
            }
        }
        // Derived keys (code, not data: they are computed, not copied).
        kv.append(("\(arch).rope.dimension_count", .uint32(UInt32(config.headDimension))))
        kv.append(("\(arch).vocab_size", .uint32(UInt32(nVocab))))
        if let s = config.ropeScaling, (s.ropeType ?? s.type) == "linear", let f = s.factor {
            kv.append(("\(arch).rope.scaling.type", .string("linear")))
            kv.append(("\(arch).rope.scaling.factor", .float32(Float(f))))
        }
        kv += vocab.metadata

        kv.append(("hubkit.version", .string(options.hubkitVersion)))
        if let repo { kv.append(("hubkit.source.repo", .string(repo))) }
        if let commit { kv.append(("hubkit.source.commit", .string(commit))) }
        kv.append(("hubkit.source.files", .strings(weights.shardNames)))
        let digests = options.sourceSHA256.flatMap { $0.count == weights.shardNames.count ? $0.map(Optional.some) : nil }
            ?? weights.shardNames.map { Provenance.blobSHA256(folder + "/" + $0) }
        if digests.allSatisfy({ $0 != nil }) {
            kv.append(("hubkit.source.sha256", .strings(digests.map { $0! })))
        }
        if let base = options.deltaBase {
            kv.append(("hubkit.delta.base", .string(base)))
            if let c = options.deltaBaseCommit { kv.append(("hubkit.delta.base_commit", .string(c))) }
            kv.append(("hubkit.delta.recipe", .string("f16(f32(base) + f32(delta)) per element; config from the base, tokenizer from the delta")))
        }
        kv.append(("hubkit.type_recipe", .string(options.type.recipe)))
        return kv
    }
}

/// Where a model folder came from, read off the huggingface_hub cache layout.
public enum Provenance {
    /// `…/models--ns--name/snapshots/<commit>` → ("ns/name", commit).
    public static func fromSnapshotPath(_ folder: String) -> (repo: String, commit: String)? {
        let parts = URL(fileURLWithPath: folder).standardized.pathComponents
        guard parts.count >= 3, parts[parts.count - 2] == "snapshots" else { return nil }
        let repoFolder = parts[parts.count - 3]
        guard repoFolder.hasPrefix("models--") else { return nil }
        let repo = repoFolder.dropFirst("models--".count).replacingOccurrences(of: "--", with: "/")
        return (repo, parts[parts.count - 1])
    }

    /// The sha256 of a snapshot file when the cache already knows it: LFS blobs are named by
    /// their sha256, and snapshot entries are symlinks to them.
    public static func blobSHA256(_ path: String) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return nil }
        let name = URL(fileURLWithPath: target).lastPathComponent
        guard name.utf8.count == 64, name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
        return name
    }
}
