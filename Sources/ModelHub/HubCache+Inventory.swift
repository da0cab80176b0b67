import Foundation

extension HubCache {
    /// A cached repository as `hubkit cache ls` shows it.
    public struct CachedRepo: Sendable, Codable {
        public var repo: String
        public var kind: String
        /// Bytes of all blobs.
        public var size: Int64
        /// Snapshot commits, with the refs that point to each.
        public var revisions: [CachedRevision]
        public var path: String
    }

    /// One snapshot of a cached repository.
    public struct CachedRevision: Sendable, Codable {
        public var commit: String
        public var refs: [String]
        public var files: Int
    }

    /// Every repository in the cache, sorted by id.
    public func repositories() -> [CachedRepo] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: layout.root) else { return [] }
        var out: [CachedRepo] = []
        for name in names.sorted() {
            let parts = name.components(separatedBy: "--")
            guard parts.count >= 2, let kind = RepoKind.allCases.first(where: { $0.plural == parts[0] }) else { continue }
            let id = parts.dropFirst().joined(separator: "/")
            guard let repo = try? RepoID(parsing: id, kind: kind) else { continue }
            out.append(inventory(repo))
        }
        return out
    }

    /// The inventory of one repository.
    public func inventory(_ repo: RepoID) -> CachedRepo {
        let fm = FileManager.default
        let folder = layout.repoFolder(repo)
        var size: Int64 = 0
        for blob in (try? fm.contentsOfDirectory(atPath: folder + "/blobs")) ?? [] where !blob.contains(".") {
            var st = stat()
            if stat(folder + "/blobs/" + blob, &st) == 0 { size += Int64(st.st_size) }
        }
        var refsByCommit: [String: [String]] = [:]
        if let e = fm.enumerator(atPath: folder + "/refs") {
            while let r = e.nextObject() as? String {
                guard let d = fm.contents(atPath: folder + "/refs/" + r), let c = String(data: d, encoding: .utf8) else { continue }
                refsByCommit[c.trimmingCharacters(in: .whitespacesAndNewlines), default: []].append(r)
            }
        }
        var revisions: [CachedRevision] = []
        for commit in ((try? fm.contentsOfDirectory(atPath: folder + "/snapshots")) ?? []).sorted() {
            var files = 0
            if let e = fm.enumerator(atPath: folder + "/snapshots/" + commit) {
                while let f = e.nextObject() as? String {
                    if !isDirectory(folder + "/snapshots/" + commit + "/" + f) { files += 1 }
                }
            }
            revisions.append(CachedRevision(commit: commit, refs: (refsByCommit[commit] ?? []).sorted(), files: files))
        }
        return CachedRepo(repo: repo.description, kind: repo.kind.rawValue, size: size, revisions: revisions, path: folder)
    }

    /// A blob whose content does not hash to its name.
    public struct CorruptBlob: Sendable, Codable, Equatable {
        public var blob: String
        public var actual: String
    }

    /// Re-hashes every blob of `repo` against its name (sha256 for 64-hex names, git blob sha1
    /// for 40-hex names). Returns the blobs checked and the corrupt ones.
    public func verify(_ repo: RepoID) throws -> (checked: Int, corrupt: [CorruptBlob]) {
        let dir = layout.blobsFolder(repo)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw HubError.offlineNotCached(repo: repo.description, revision: "any", cache: layout.root)
        }
        var checked = 0
        var corrupt: [CorruptBlob] = []
        for name in names.sorted() {
            let isSHA256 = Digest.isSHA256Hex(name)
            guard isSHA256 || CommitHash.isFull(name) else { continue }
            let actual = try Digest.ofFile(dir + "/" + name, gitBlob: !isSHA256)
            checked += 1
            if actual != name { corrupt.append(CorruptBlob(blob: name, actual: actual)) }
        }
        return (checked, corrupt)
    }

    /// Removes a repository, or only one revision (`revision` = ref or commit): its snapshot,
    /// the refs pointing to it, and blobs no other snapshot uses. Returns the bytes freed.
    @discardableResult
    public func remove(_ repo: RepoID, revision: String?) throws -> Int64 {
        let fm = FileManager.default
        let folder = layout.repoFolder(repo)
        guard isDirectory(folder) else { throw HubError.offlineNotCached(repo: repo.description, revision: revision ?? "any", cache: layout.root) }
        let before = inventory(repo).size
        guard let revision else {
            try fm.removeItem(atPath: folder)
            try? fm.removeItem(atPath: layout.locksFolder(repo))
            return before
        }
        guard let commit = cachedCommit(repo, revision: revision) else {
            throw HubError.offlineNotCached(repo: repo.description, revision: revision, cache: layout.root)
        }
        try fm.removeItem(atPath: layout.snapshotFolder(repo, commit: commit))
        if let e = fm.enumerator(atPath: folder + "/refs") {
            while let r = e.nextObject() as? String {
                if let d = fm.contents(atPath: folder + "/refs/" + r), String(decoding: d, as: UTF8.self) == commit {
                    try? fm.removeItem(atPath: folder + "/refs/" + r)
                }
            }
        }
        // Blobs still referenced by remaining snapshots.
        var used = Set<String>()
        if let e = fm.enumerator(atPath: folder + "/snapshots") {
            while let f = e.nextObject() as? String {
                if let t = try? fm.destinationOfSymbolicLink(atPath: folder + "/snapshots/" + f) {
                    used.insert((t as NSString).lastPathComponent)
                }
            }
        }
        for blob in (try? fm.contentsOfDirectory(atPath: folder + "/blobs")) ?? [] where !used.contains(blob) {
            try? fm.removeItem(atPath: folder + "/blobs/" + blob)
        }
        return before - inventory(repo).size
    }
}
