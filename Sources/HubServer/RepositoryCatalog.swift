import Foundation
import ModelHub

/// Turns what a source found into revisions with commits and digests, and resolves revision
/// names (branch, tag, `refs/pr/N`, full or short commit) as the Hub does.
struct RepositoryCatalog: Sendable {
    let source: any RepositorySource
    let digests: DigestCache
    let lfsSizeThreshold: Int64

    init(configuration: HubServerConfiguration) {
        switch configuration.source {
        case let .repositories(root): source = FolderSource(root: root)
        case let .cache(root): source = CacheSource(layout: CacheLayout(root: root))
        }
        digests = DigestCache()
        lfsSizeThreshold = configuration.lfsSizeThreshold
    }

    func repository(_ id: RepoID) throws -> ServedRepository? { try source.repository(id) }

    /// The files and commit at `location`.
    func load(_ location: RevisionLocation) async throws -> ServedRevision {
        switch location {
        case let .folder(folder, skipSettings):
            var files: [ServedFile] = []
            for (path, disk, status) in listFiles(in: folder, skipSettings: skipSettings) {
                files.append(try await describe(path: path, disk: disk, status: status, knownEtag: nil))
            }
            let commit = GitObjects.commitID(files: files.map { ($0.path, $0.gitOID, $0.lfsSHA256) })
            return ServedRevision(commit: commit, files: files)
        case let .snapshot(commit, folder):
            var files: [ServedFile] = []
            for (path, disk, status) in listFiles(in: folder, skipSettings: false) {
                files.append(try await describe(path: path, disk: disk, status: status, knownEtag: blobName(disk)))
            }
            return ServedRevision(commit: commit, files: files)
        }
    }

    /// The revision `name` of `repo`, or nil when no ref, tag or commit matches.
    func resolve(_ repo: ServedRepository, revision name: String) async throws -> (name: String, revision: ServedRevision)? {
        var refName = name
        if name.hasPrefix("refs/heads/") { refName = String(name.dropFirst("refs/heads/".count)) }
        if name.hasPrefix("refs/tags/") { refName = String(name.dropFirst("refs/tags/".count)) }
        if let target = repo.tags[refName], let ref = repo.refs.first(where: { $0.name == target }) {
            return (name, try await load(ref.location))
        }
        if let ref = repo.refs.first(where: { $0.name == refName }) {
            return (name, try await load(ref.location))
        }
        guard (7...40).contains(name.count), GitObjects.isHex(name, count: name.count) else { return nil }
        var matches: [ServedRevision] = []
        for location in repo.refs.map(\.location) + repo.looseSnapshots {
            if case let .snapshot(commit, _) = location, !commit.hasPrefix(name) { continue }
            let revision = try await load(location)
            if revision.commit.hasPrefix(name), !matches.contains(where: { $0.commit == revision.commit }) {
                matches.append(revision)
            }
        }
        return matches.count == 1 ? (name, matches[0]) : nil
    }

    private func describe(path: String, disk: String, status: FileStatus, knownEtag: String?) async throws -> ServedFile {
        let key = { (kind: DigestCache.Kind) in
            DigestCache.Key(path: disk, size: status.size, mtimeNanoseconds: status.mtimeNanoseconds, inode: status.inode, kind: kind)
        }
        let sha256: String?
        let oid: String
        if let etag = knownEtag, GitObjects.isHex(etag, count: 64) {
            sha256 = etag
            oid = GitObjects.blobID(of: Array(GitObjects.lfsPointer(sha256: etag, size: status.size).utf8))
        } else if let etag = knownEtag, GitObjects.isHex(etag, count: 40) {
            sha256 = nil
            oid = etag
        } else if GitObjects.isLFS(path: path, size: status.size, threshold: lfsSizeThreshold) {
            let digest = try await digests.digest(key(.sha256))
            sha256 = digest
            oid = GitObjects.blobID(of: Array(GitObjects.lfsPointer(sha256: digest, size: status.size).utf8))
        } else {
            sha256 = nil
            oid = try await digests.digest(key(.gitBlob))
        }
        return ServedFile(path: path, diskPath: disk, size: status.size, gitOID: oid, lfsSHA256: sha256, modified: status.modified)
    }

    /// The last path component of a snapshot symlink's target (the cache blob name), if it is one.
    private func blobName(_ disk: String) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: disk) else { return nil }
        return target.split(separator: "/").last.map(String.init)
    }
}
