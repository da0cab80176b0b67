import Foundation
import ModelHub

/// One file of a served revision, with the identifiers the Hub reports for it.
public struct ServedFile: Sendable, Hashable {
    /// Path inside the repository (`a/b.json`).
    public let path: String
    /// Where its bytes are on disk.
    public let diskPath: String
    /// Size in bytes (the real size, also for LFS files).
    public let size: Int64
    /// Git blob id: sha1 of the content, or of the LFS pointer for LFS files.
    public let gitOID: String
    /// sha256 of the content, for LFS files only.
    public let lfsSHA256: String?
    /// Last modification time of the file.
    public let modified: Date

    /// Length of the git-lfs pointer, reported as `pointerSize`.
    public var pointerSize: Int? {
        lfsSHA256.map { GitObjects.lfsPointer(sha256: $0, size: size).utf8.count }
    }

    /// The etag clients name the cache blob after: sha256 for LFS files, git sha1 otherwise.
    public var etag: String { lfsSHA256 ?? gitOID }
}

/// The files of one commit.
public struct ServedRevision: Sendable {
    /// The 40-hex commit id.
    public let commit: String
    /// Files sorted by path.
    public let files: [ServedFile]

    public var lastModified: Date { files.map(\.modified).max() ?? Date(timeIntervalSince1970: 0) }

    public func file(at path: String) -> ServedFile? { files.first { $0.path == path } }
}

/// What kind of git ref a revision name is.
public enum RefKind: String, Sendable {
    case branch, tag, pullRequest, convert

    /// `refs/pr/N` → pull request, `refs/convert/X` → convert, anything else a branch.
    public static func of(_ name: String) -> RefKind {
        if name.hasPrefix("refs/pr/") { return .pullRequest }
        if name.hasPrefix("refs/convert/") { return .convert }
        return .branch
    }
}

/// Where the files of a revision live.
enum RevisionLocation: Sendable, Hashable {
    /// A folder holding the files (folder source); the commit is computed from its content.
    case folder(String, skipSettings: Bool)
    /// A snapshot of a hub cache, whose commit is its folder name.
    case snapshot(commit: String, folder: String)
}

/// A named ref of a served repository.
struct ServedRef: Sendable {
    let name: String
    let kind: RefKind
    let location: RevisionLocation
}

/// A repository as one of the sources found it.
struct ServedRepository: Sendable {
    let id: RepoID
    let settings: RepoSettings
    /// Branches (including `main`), pull requests and converts.
    let refs: [ServedRef]
    /// Tag name → the ref name it points at.
    let tags: [String: String]
    /// Snapshots reachable by commit only (cache source).
    let looseSnapshots: [RevisionLocation]
}

/// Where repositories come from: a folder of repositories or a hub cache.
protocol RepositorySource: Sendable {
    /// The repository `id`, or nil when the source does not have it.
    func repository(_ id: RepoID) throws -> ServedRepository?
    /// Every repository id the source holds (for warming the digest cache).
    func allRepositoryIDs() -> [RepoID]
}

/// `stat(2)` of a path, following symlinks.
struct FileStatus {
    let isDirectory: Bool
    let isRegularFile: Bool
    let size: Int64
    let mtimeNanoseconds: Int64
    let inode: UInt64

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let type = st.st_mode & S_IFMT
        isDirectory = type == S_IFDIR
        isRegularFile = type == S_IFREG
        size = Int64(st.st_size)
        #if canImport(Darwin)
        mtimeNanoseconds = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        #else
        mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        #endif
        inode = UInt64(st.st_ino)
    }

    var modified: Date { Date(timeIntervalSince1970: Double(mtimeNanoseconds) / 1e9) }
}

/// Lists regular files below `folder` as repository paths (following symlinks to files, never
/// into `.git` or huggingface_hub's `.cache/huggingface`, skipping names that could not be served
/// safely), sorted.
func listFiles(in folder: String, skipSettings: Bool) -> [(path: String, disk: String, status: FileStatus)] {
    var result: [(String, String, FileStatus)] = []
    func walk(_ disk: String, _ prefix: String, depth: Int) {
        guard depth < 64, let names = try? FileManager.default.contentsOfDirectory(atPath: disk) else { return }
        for name in names.sorted() {
            if name == ".git" { continue }
            if depth == 0 && skipSettings && name == RepoSettings.fileName { continue }
            let childDisk = disk + "/" + name
            let childPath = prefix.isEmpty ? name : prefix + "/" + name
            // huggingface_hub's local_dir bookkeeping is not part of a repository.
            if childPath == ".cache/huggingface" { continue }
            guard isSafeRepoPath(childPath), let status = FileStatus(path: childDisk) else { continue }
            if status.isDirectory {
                walk(childDisk, childPath, depth: depth + 1)
            } else if status.isRegularFile {
                result.append((childPath, childDisk, status))
            }
        }
    }
    walk(folder, "", depth: 0)
    return result.sorted { $0.0 < $1.0 }
}
