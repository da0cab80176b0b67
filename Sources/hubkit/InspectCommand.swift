import ArgumentParser
import Conversion
import Foundation
import GGUF
import Quantization
import SafeTensors

/// `hubkit inspect`: metadata and tensor table of a GGUF file, a safetensors file or a model folder.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show metadata, tensors (name, shape, type, bytes) and totals of a .gguf, a .safetensors or a model folder."
    )

    @Argument(help: "A .gguf file, a .safetensors file, or a model folder.")
    var path: String

    @Flag(name: .long, help: "Machine-readable output.")
    var json = false

    func run() throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw ValidationError("\(path) does not exist") }
        if isDir.boolValue {
            try inspectFolder()
        } else if path.hasSuffix(".safetensors") {
            try inspectSafeTensors(try SafeTensorsFile(path: path))
        } else {
            try inspectGGUF(try GGUFFile(path: path))
        }
    }

    func inspectGGUF(_ f: GGUFFile) throws {
        var byType: [String: Int] = [:]
        for t in f.tensors { byType[t.type.name, default: 0] += 1 }
        let total = f.tensors.reduce(UInt64(0)) { $0 + $1.byteCount }
        let params = f.tensors.reduce(UInt64(0)) { $0 + $1.elementCount }
        if json {
            try printJSON([
                "path": path, "format": "gguf", "version": f.version, "alignment": f.alignment,
                "metadata": f.metadata.map { ["key": $0.key, "type": "\($0.value.type)", "value": jsonValue($0.value)] as [String: Any] },
                "tensors": f.tensors.map { ["name": $0.name, "ne": $0.ne, "type": $0.type.name, "bytes": $0.byteCount, "offset": $0.offset] as [String: Any] },
                "totals": ["tensors": f.tensors.count, "bytes": total, "parameters": params, "types": byType] as [String: Any],
            ])
            return
        }
        print("\(path): GGUF v\(f.version), \(f.metadata.count) keys, \(f.tensors.count) tensors, alignment \(f.alignment)")
        print("metadata:")
        for (k, v) in f.metadata { print("  \(k.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(describing: v.type).padding(toLength: 8, withPad: " ", startingAt: 0)) \(summary(v))") }
        print("tensors:")
        let w = max(20, f.tensors.map(\.name.count).max() ?? 20)
        for t in f.tensors {
            let shape = "[" + t.ne.map(String.init).joined(separator: ", ") + "]"
            print("  \(t.name.padding(toLength: w, withPad: " ", startingAt: 0)) \(t.type.name.padding(toLength: 5, withPad: " ", startingAt: 0)) \(shape.padding(toLength: 18, withPad: " ", startingAt: 0)) \(formatBytes(t.byteCount))")
        }
        let types = byType.keys.sorted().map { "\($0) ×\(byType[$0]!)" }.joined(separator: ", ")
        print("totals: \(f.tensors.count) tensors (\(types)), \(params) parameters, \(formatBytes(total)) of tensor data")
    }

    func inspectSafeTensors(_ f: SafeTensorsFile) throws {
        let total = f.tensors.reduce(UInt64(0)) { $0 + $1.byteCount }
        if json {
            try printJSON(["path": path, "format": "safetensors", "metadata": f.metadata,
                           "tensors": f.tensors.map { ["name": $0.name, "dtype": $0.dtype.rawValue, "shape": $0.shape, "bytes": $0.byteCount] as [String: Any] },
                           "totals": ["tensors": f.tensors.count, "bytes": total]])
            return
        }
        print("\(path): safetensors, \(f.tensors.count) tensors")
        for (k, v) in f.metadata.sorted(by: { $0.key < $1.key }) { print("  \(k) = \(v)") }
        printTable(f.tensors.map { ($0.name, $0.dtype.rawValue, $0.shape, $0.byteCount) })
        print("totals: \(f.tensors.count) tensors, \(formatBytes(total))")
    }

    func inspectFolder() throws {
        let model = try SafeTensorsModel(folder: path)
        let config = (FileManager.default.contents(atPath: path + "/config.json").flatMap { try? JSONSerialization.jsonObject(with: $0) }) as? [String: Any]
        let archs = config?["architectures"] as? [String] ?? []
        let registry = try? ArchitectureRegistry.load()
        let supported = (try? registry?.manifest(architectures: archs, modelType: config?["model_type"] as? String)) != nil
        let total = model.totalTensorBytes
        if json {
            try printJSON(["path": path, "format": "folder", "architectures": archs, "convertible": supported, "shards": model.shardNames,
                           "tensors": model.entries.map { ["name": $0.info.name, "shard": $0.shard, "dtype": $0.info.dtype.rawValue, "shape": $0.info.shape, "bytes": $0.info.byteCount] as [String: Any] },
                           "totals": ["tensors": model.entries.count, "bytes": total]])
            return
        }
        print("\(path): model folder, architectures \(archs.joined(separator: ", ")) (\(supported ? "convertible" : "not convertible by hubkit")), \(model.shardNames.count) weight file(s)")
        printTable(model.entries.map { ($0.info.name, $0.info.dtype.rawValue, $0.info.shape, $0.info.byteCount) })
        print("totals: \(model.entries.count) tensors, \(formatBytes(total))")
    }

    func printTable(_ rows: [(String, String, [UInt64], UInt64)]) {
        let w = max(20, rows.map(\.0.count).max() ?? 20)
        for (n, d, s, b) in rows {
            let shape = "[" + s.map(String.init).joined(separator: ", ") + "]"
            print("  \(n.padding(toLength: w, withPad: " ", startingAt: 0)) \(d.padding(toLength: 5, withPad: " ", startingAt: 0)) \(shape.padding(toLength: 18, withPad: " ", startingAt: 0)) \(formatBytes(b))")
        }
    }

    func summary(_ v: GGUFValue) -> String {
        guard case let .array(t, values) = v else { return v.description }
        let head = values.prefix(5).map(\.description).joined(separator: ", ")
        return "[\(t) × \(values.count)] \(head)\(values.count > 5 ? ", …" : "")"
    }

    func jsonValue(_ v: GGUFValue) -> Any {
        switch v {
        case let .uint8(x): return x
        case let .int8(x): return x
        case let .uint16(x): return x
        case let .int16(x): return x
        case let .uint32(x): return x
        case let .int32(x): return x
        case let .uint64(x): return x
        case let .int64(x): return x
        case let .float32(x): return x.isFinite ? Double(x) : "\(x)"
        case let .float64(x): return x.isFinite ? x : "\(x)"
        case let .bool(x): return x
        case let .string(s): return s
        case let .array(_, values): return values.map(jsonValue)
        }
    }
}
