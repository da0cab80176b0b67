import Foundation
import GGUF

/// One model family's conversion table, read from `manifests/architectures/<family>.json`.
/// Tensor names and config → metadata keys are data; only real transformations (`permute_q`,
/// `permute_k`) are code.
public struct ArchitectureManifest: Decodable, Sendable {
    public struct TensorRule: Decodable, Sendable {
        /// HF name; `{bid}` stands for the block (layer) number.
        public let hf: String
        public let gguf: String
        public let transform: String?
        /// `token_embd` or `output`: tensors with special type rules.
        public let role: String?
    }

    public struct MetadataRule: Decodable, Sendable {
        /// Key; `{arch}` stands for `gguf_architecture`.
        public let key: String
        /// GGUF value type: `uint32`, `float32`, `string`, `bool`.
        public let type: String
        /// config.json keys, first present wins.
        public let config: [String]
        public let required: Bool?
    }

    public let family: String
    public let architectures: [String]
    public let modelTypes: [String]?
    public let ggufArchitecture: String
    public let tensors: [TensorRule]
    public let skip: [String]?
    public let metadata: [MetadataRule]

    enum CodingKeys: String, CodingKey {
        case family, architectures, tensors, skip, metadata
        case modelTypes = "model_types"
        case ggufArchitecture = "gguf_architecture"
    }

    /// Maps an HF tensor name: `(gguf name, rule)`, or nil if no rule matches. Skipped names
    /// return `("", rule)` with an empty name.
    public func map(_ hfName: String) -> (name: String, block: Int?, rule: TensorRule?)? {
        for pattern in skip ?? [] where Self.match(pattern, hfName) != nil { return ("", nil, nil) }
        for rule in tensors {
            if let m = Self.match(rule.hf, hfName) {
                let name = m.block.map { rule.gguf.replacingOccurrences(of: "{bid}", with: String($0)) } ?? rule.gguf
                return (name, m.block, rule)
            }
        }
        return nil
    }

    /// Matches `name` against a template with at most one `{bid}` (a decimal block number).
    static func match(_ template: String, _ name: String) -> (block: Int?, Void)? {
        let parts = template.components(separatedBy: "{bid}")
        if parts.count == 1 { return template == name ? (nil, ()) : nil }
        guard parts.count == 2, name.hasPrefix(parts[0]), name.hasSuffix(parts[1]),
              name.utf8.count > parts[0].utf8.count + parts[1].utf8.count else { return nil }
        let middle = name.dropFirst(parts[0].count).dropLast(parts[1].count)
        guard !middle.isEmpty, middle.allSatisfy(\.isASCII), middle.allSatisfy(\.isNumber), let b = Int(middle) else { return nil }
        return (b, ())
    }
}

/// The architecture manifests, looked up by `config.json`'s `architectures` before anything large
/// is read, so an unsupported model is refused at once with the list of supported ones.
public struct ArchitectureRegistry: Sendable {
    public let manifests: [ArchitectureManifest]
    public let directory: String

    /// All supported HF architecture names.
    public var supported: [String] { manifests.flatMap(\.architectures).sorted() }

    /// Loads every `*.json` in `directory`, or in the first folder found among: `$HUBKIT_MANIFESTS`,
    /// `manifests/architectures` above the running executable, the current directory, and this
    /// source checkout.
    public static func load(directory: String? = nil) throws -> ArchitectureRegistry {
        let dir = try directory ?? locate()
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var manifests: [ArchitectureManifest] = []
        for f in files {
            let p = dir + "/" + f
            guard let data = FileManager.default.contents(atPath: p) else { continue }
            do {
                manifests.append(try JSONDecoder().decode(ArchitectureManifest.self, from: data))
            } catch {
                throw ConversionError.invalidManifest(path: p, reason: "\(error)")
            }
        }
        guard !manifests.isEmpty else { throw ConversionError.manifestNotFound(searched: [dir]) }
        return ArchitectureRegistry(manifests: manifests, directory: dir)
    }

    static func locate() throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["HUBKIT_MANIFESTS"] { candidates.append(env) }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.path + "/manifests/architectures")
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/manifests/architectures")
        var src = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { src = src.deletingLastPathComponent() }
        candidates.append(src.path + "/manifests/architectures")
        for c in candidates {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: c, isDirectory: &isDir), isDir.boolValue { return c }
        }
        throw ConversionError.manifestNotFound(searched: candidates)
    }

    /// The manifest for a config's `architectures` (or `model_type` when no architecture is given).
    public func manifest(architectures: [String], modelType: String?) throws -> ArchitectureManifest {
        for a in architectures {
            if let m = manifests.first(where: { $0.architectures.contains(a) }) { return m }
        }
        if architectures.isEmpty, let t = modelType, let m = manifests.first(where: { $0.modelTypes?.contains(t) == true }) { return m }
        throw ConversionError.unsupportedArchitecture(found: architectures.isEmpty ? (modelType.map { [$0] } ?? []) : architectures, supported: supported)
    }
}
