import Foundation
import HubServer

/// A temporary folder of repositories for a ``TestHub``: `root/ns/name/...` holds the files of
/// `main`, extra revisions live in sibling folders `root/ns/name@<revision>`, and settings go to
/// `root/ns/name/.hubkit-repo.json` (see ``RepoSettings`` and docs/serve.md). Call ``remove()``
/// when done.
///
/// ```swift
/// let fixture = try RepositoryFixture()
/// defer { fixture.remove() }
/// try fixture.addRepository("org/tiny", files: ["config.json": Array("{}".utf8)])
/// try fixture.addRevision("org/tiny", "refs/pr/1", files: ["config.json": Array("{\"a\":1}".utf8)])
/// ```
public struct RepositoryFixture: Sendable {
    /// The folder to serve.
    public let root: String

    /// Creates an empty temporary folder.
    public init() throws {
        root = FileManager.default.temporaryDirectory.path + "/hubkit-repos-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// The folder of repository `id` (`root/ns/name`).
    public func folder(_ id: String) -> String { root + "/" + id }

    /// Creates (or adds files to) repository `id` with `files` (repository path → bytes) and,
    /// if given, its settings.
    @discardableResult
    public func addRepository(_ id: String, files: [String: [UInt8]], settings: RepoSettings? = nil) throws -> String {
        let folder = folder(id)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (path, bytes) in files { try write(bytes, to: folder + "/" + path) }
        if let settings { try setSettings(id, settings) }
        return folder
    }

    /// Same as ``addRepository(_:files:settings:)`` with text files (UTF-8).
    @discardableResult
    public func addRepository(_ id: String, textFiles: [String: String], settings: RepoSettings? = nil) throws -> String {
        try addRepository(id, files: textFiles.mapValues { Array($0.utf8) }, settings: settings)
    }

    /// Adds revision `name` (a branch, `refs/pr/N` or `refs/convert/X`) holding exactly `files`, in
    /// the sibling folder `ns/name@<name with / as _>`, and records it in the repository's settings.
    @discardableResult
    public func addRevision(_ id: String, _ name: String, files: [String: [UInt8]]) throws -> String {
        let repoName = id.split(separator: "/").last.map(String.init) ?? id
        let folderName = repoName + "@" + name.replacingOccurrences(of: "/", with: "_")
        let target = (folder(id) as NSString).deletingLastPathComponent + "/" + folderName
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        for (path, bytes) in files { try write(bytes, to: target + "/" + path) }
        var settings = try RepoSettings.load(folder: folder(id))
        settings.revisions = (settings.revisions ?? [:]).merging([name: "../" + folderName]) { $1 }
        try setSettings(id, settings)
        return target
    }

    /// Writes a file of `size` bytes of seeded pseudo-random data (streamed, so sizes of many MiB
    /// cost no memory) into repository `id`; returns its path on disk.
    @discardableResult
    public func addRandomFile(_ id: String, path: String, size: Int, seed: UInt64 = 1) throws -> String {
        let disk = folder(id) + "/" + path
        try FileManager.default.createDirectory(atPath: (disk as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: disk, contents: nil), let handle = FileHandle(forWritingAtPath: disk) else {
            throw HubServerError.unreadableFile(path: disk, reason: "cannot create")
        }
        defer { try? handle.close() }
        var state = seed
        var remaining = size
        while remaining > 0 {
            let count = min(remaining, 1 << 20)
            var chunk = [UInt8](repeating: 0, count: (count + 7) / 8 * 8)
            chunk.withUnsafeMutableBytes { raw in
                for word in 0..<(raw.count / 8) {
                    state &+= 0x9E37_79B9_7F4A_7C15  // splitmix64
                    var z = state
                    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                    raw.storeBytes(of: (z ^ (z >> 31)).littleEndian, toByteOffset: word * 8, as: UInt64.self)
                }
            }
            try handle.write(contentsOf: chunk[0..<count])
            remaining -= count
        }
        return disk
    }

    /// Writes the settings file of repository `id`.
    public func setSettings(_ id: String, _ settings: RepoSettings) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(atPath: folder(id), withIntermediateDirectories: true)
        try encoder.encode(settings).write(to: URL(fileURLWithPath: folder(id) + "/" + RepoSettings.fileName))
    }

    /// Deletes the whole temporary folder.
    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
