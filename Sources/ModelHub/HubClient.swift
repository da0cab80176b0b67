import Foundation

/// Talks to a Hub (or anything speaking its API, like `hubkit serve`): resolves revisions to
/// commits, lists files, and finds where a file's bytes are. Calls block the calling thread;
/// run them off the Swift concurrency pool (``HubClient/run(_:)`` does that for async callers).
public final class HubClient: Sendable {
    /// The Hub base URL, without a trailing slash.
    public let endpoint: String
    let http: HTTPClient

    /// A client for `endpoint`; `token` is sent only to `endpoint`'s own origin.
    public init(endpoint: String, token: HubToken?, options: HTTPOptions = HTTPOptions()) {
        self.endpoint = endpoint
        http = HTTPClient(endpoint: endpoint, token: token, options: options)
    }

    /// Whether requests carry a token.
    public var authenticated: Bool { http.authenticated }

    /// Runs blocking work on a thread of its own and awaits its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    // MARK: URLs

    /// `{E}/api/models/{repo}`.
    func apiURL(_ repo: RepoID) -> String { endpoint + "/api/" + repo.kind.plural + "/" + repo.description }

    /// `{E}/{repo}/resolve/{rev}/{path}`, revision encoded with no safe characters, path keeping `/`.
    public func resolveURL(_ repo: RepoID, revision: String, path: String) -> String {
        endpoint + "/" + repo.kind.resolvePrefix + repo.description + "/resolve/"
            + URLEncoding.encode(revision, keepSlash: false) + "/" + URLEncoding.encode(path, keepSlash: true)
    }

    // MARK: API

    private struct RevisionInfo: Decodable { let sha: String? }

    private struct TreeEntry: Decodable {
        struct LFS: Decodable { let oid: String; let size: Int64? }
        let type: String
        let path: String
        let oid: String?
        let size: Int64?
        let lfs: LFS?
    }

    /// Resolves a branch, tag, full or short commit or `refs/pr/N` to its 40-hex commit.
    public func commit(of repo: RepoID, revision: String) throws -> String {
        let url = apiURL(repo) + "/revision/" + URLEncoding.encode(revision, keepSlash: false)
        let context = RequestContext(repo: repo.description, revision: revision, path: nil, authenticated: authenticated)
        let (info, _) = try http.getJSON(RevisionInfo.self, url: url, context: context)
        guard let sha = info.sha, CommitHash.isFull(sha) else {
            throw HubError.invalidResponse(url: displayURL(url), reason: "no 40-hex 'sha' in the revision info")
        }
        return sha
    }

    /// The manifest of `revision`: its commit and every file with size, git oid and LFS sha256,
    /// from the tree API (recursive, following `Link: <…>; rel="next"` pages). Refuses the whole
    /// listing if any path would escape a snapshot folder.
    public func manifest(_ repo: RepoID, revision: String = "main") throws -> Manifest {
        let commit = try commit(of: repo, revision: revision)
        let context = RequestContext(repo: repo.description, revision: revision, path: nil, authenticated: authenticated)
        var next: String? = apiURL(repo) + "/tree/" + commit + "?recursive=true&expand=false"
        var files: [Manifest.File] = []
        var pages = 0
        while let url = next {
            pages += 1
            guard pages <= 100_000 else { throw HubError.invalidResponse(url: displayURL(url), reason: "endless pagination") }
            let (entries, response) = try http.getJSON([TreeEntry].self, url: url, context: context)
            for e in entries where e.type == "file" {
                guard isSafeRepoPath(e.path) else { throw HubError.unsafePath(repo: repo.description, path: e.path) }
                guard let oid = e.oid, let size = e.size, size >= 0 else {
                    throw HubError.invalidResponse(url: displayURL(url), reason: "tree entry '\(e.path)' lacks oid or size")
                }
                if let sha = e.lfs?.oid, !Digest.isSHA256Hex(sha) {
                    throw HubError.invalidResponse(url: displayURL(url), reason: "tree entry '\(e.path)' has a malformed LFS sha256")
                }
                files.append(Manifest.File(path: e.path, size: size, oid: oid, sha256: e.lfs?.oid))
            }
            next = response.headers["Link"].flatMap { nextLink($0) }.flatMap { URLParts(url)?.resolve($0) }
        }
        return Manifest(repo: repo, revision: revision, commit: commit, files: files)
    }

    /// Where a file's bytes are, from a HEAD of its resolve URL (relative redirects followed,
    /// an absolute one to a CDN not followed).
    public struct FileLocation: Sendable {
        /// URL to GET the bytes from (the CDN's signed URL, or the resolve URL itself).
        public var url: String
        /// Blob name: `X-Linked-Etag` or `ETag`, without `W/` and quotes.
        public var etag: String?
        /// `X-Repo-Commit`.
        public var commit: String?
        /// `X-Linked-Size`, or `Content-Length` when not redirected.
        public var size: Int64?
    }

    /// HEADs `{E}/{repo}/resolve/{rev}/{path}` the way huggingface_hub does to find a file's location.
    public func location(of path: String, in repo: RepoID, revision: String) throws -> FileLocation {
        let url = resolveURL(repo, revision: revision, path: path)
        let context = RequestContext(repo: repo.description, revision: revision, path: path, authenticated: authenticated)
        let (response, finalURL) = try http.request(
            url, method: .head, context: context, followCrossOrigin: false, extraHeaders: ["Accept-Encoding: identity"])
        let redirected = (300..<400).contains(response.status)
        guard response.status == 200 || redirected else {
            throw HubError.unexpectedStatus(url: displayURL(finalURL), status: response.status, message: nil)
        }
        let target = redirected ? response.headers["Location"].flatMap { URLParts(finalURL)?.resolve($0) } : finalURL
        let etag = (response.headers["X-Linked-Etag"] ?? response.headers["ETag"]).map(normalizeETag)
        let size = (response.headers["X-Linked-Size"] ?? (redirected ? nil : response.headers["Content-Length"])).flatMap { Int64($0) }
        return FileLocation(url: target ?? finalURL, etag: etag, commit: response.headers["X-Repo-Commit"], size: size)
    }
}

/// Strips `W/` and quotes from an ETag.
func normalizeETag(_ raw: String) -> String {
    var s = Substring(raw.trimmingCharacters(in: .whitespaces))
    if s.hasPrefix("W/") { s = s.dropFirst(2) }
    return String(s.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
}

/// The `rel="next"` target of a `Link` header, as written (may be relative).
func nextLink(_ header: String) -> String? {
    for part in header.split(separator: ",") {
        let pieces = part.split(separator: ";").map { $0.trimmingSpaces() }
        guard let first = pieces.first, first.hasPrefix("<"), first.hasSuffix(">") else { continue }
        let isNext = pieces.dropFirst().contains { p in
            let kv = p.split(separator: "=", maxSplits: 1)
            return kv.count == 2 && kv[0].trimmingSpaces() == "rel"
                && kv[1].trimmingSpaces().trimmingCharacters(in: CharacterSet(charactersIn: "\"")).split(separator: " ").contains("next")
        }
        if isNext { return String(first.dropFirst().dropLast()) }
    }
    return nil
}
