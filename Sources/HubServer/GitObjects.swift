import Crypto
import Foundation

/// The deterministic "fake git" of the server: which files are LFS, their git object ids, and
/// the commit id of a revision.
public enum GitObjects {
    /// Extensions that are always LFS, as in the Hub's default `.gitattributes` for weights.
    public static let lfsExtensions: Set<String> = [
        "safetensors", "bin", "gguf", "pt", "pth", "h5", "msgpack", "onnx", "model", "ckpt", "npz", "pkl",
    ]

    /// A file is LFS when its size is at least `threshold` bytes or its extension is one of
    /// ``lfsExtensions``; everything else is a regular git file.
    public static func isLFS(path: String, size: Int64, threshold: Int64) -> Bool {
        if size >= threshold { return true }
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return false }
        return lfsExtensions.contains(path[path.index(after: dot)...].lowercased())
    }

    /// The git-lfs pointer file that git stores for an LFS file.
    public static func lfsPointer(sha256: String, size: Int64) -> String {
        "version https://git-lfs.github.com/spec/v1\noid sha256:\(sha256)\nsize \(size)\n"
    }

    /// Git blob id of `bytes`: sha1 of `"blob <len>\0" + bytes`.
    public static func blobID(of bytes: [UInt8]) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Array("blob \(bytes.count)\0".utf8))
        hasher.update(data: bytes)
        return hex(hasher.finalize())
    }

    /// A stable 40-hex commit id for a revision: sha1 over its sorted `oid sha256 path` lines, so
    /// the same files always give the same commit (two refs with identical files share one).
    public static func commitID(files: [(path: String, oid: String, sha256: String?)]) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Array("hubkit-fake-commit\n".utf8))
        for file in files.sorted(by: { $0.path < $1.path }) {
            hasher.update(data: Array("\(file.oid) \(file.sha256 ?? "-") \(file.path)\n".utf8))
        }
        return hex(hasher.finalize())
    }

    /// A stable id for a directory: sha1 over the sorted entries below it.
    public static func treeID(entries: [(path: String, oid: String)]) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Array("tree\n".utf8))
        for entry in entries.sorted(by: { $0.path < $1.path }) {
            hasher.update(data: Array("\(entry.oid) \(entry.path)\n".utf8))
        }
        return hex(hasher.finalize())
    }

    /// Lower-case hex of a digest.
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let table = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in digest {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` is `count` lower-case hex digits.
    public static func isHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
