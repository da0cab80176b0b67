import Foundation

/// The refs of a repository as `GET /api/models/{repo}/refs?include_prs=1` lists them.
public struct RepoRefs: Sendable, Decodable, Equatable {
    /// One ref: `name` as users type it (`main`, `v1.0`, `refs/pr/35`), `ref` the full git ref.
    public struct Ref: Sendable, Decodable, Equatable {
        public var name: String
        public var ref: String
        public var targetCommit: String

        public init(name: String, ref: String, targetCommit: String) {
            self.name = name
            self.ref = ref
            self.targetCommit = targetCommit
        }

        /// `N` of `refs/pr/N`, nil for other refs.
        public var pullRequestNumber: Int? {
            for text in [ref, name] where text.hasPrefix("refs/pr/") { return Int(text.dropFirst("refs/pr/".count)) }
            return nil
        }
    }

    public var branches: [Ref]
    public var tags: [Ref]
    public var converts: [Ref]
    /// Present only when asked for (`include_prs=1`).
    public var pullRequests: [Ref]

    enum CodingKeys: String, CodingKey { case branches, tags, converts, pullRequests }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        branches = try c.decodeIfPresent([Ref].self, forKey: .branches) ?? []
        tags = try c.decodeIfPresent([Ref].self, forKey: .tags) ?? []
        converts = try c.decodeIfPresent([Ref].self, forKey: .converts) ?? []
        pullRequests = try c.decodeIfPresent([Ref].self, forKey: .pullRequests) ?? []
    }
}

/// Which weight formats a revision holds, judged from its file list.
public struct WeightFormats: Sendable, Equatable {
    /// Any `*.safetensors` file.
    public var safetensors: Bool
    /// `model.safetensors.index.json` (a sharded safetensors save).
    public var safetensorsIndex: Bool
    /// Any PyTorch pickle checkpoint (`*.bin`, `*.pt`, `*.pth`).
    public var pytorch: Bool

    public init(_ manifest: Manifest) {
        let paths = manifest.files.map(\.path)
        safetensors = paths.contains { $0.hasSuffix(".safetensors") }
        safetensorsIndex = paths.contains("model.safetensors.index.json")
        pytorch = paths.contains { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") || $0.hasSuffix(".pth") }
    }

    /// What the Hub's conversion bot adds: shards and their index.
    public var isShardedSafetensors: Bool { safetensors && safetensorsIndex }
}

/// A pull request that holds the safetensors conversion of a repository whose branch has only
/// PyTorch `.bin` weights (opened by the Hub's conversion bot, e.g. `refs/pr/35` on
/// stabilityai/StableBeluga2).
public struct ConversionPullRequest: Sendable {
    /// `refs/pr/N`, usable as a revision.
    public var revision: String
    public var number: Int
    /// The PR's files (resolved at its head commit).
    public var manifest: Manifest
}

extension HubClient {
    /// `GET /api/models/{repo}/refs`, with pull requests when `includePullRequests`.
    public func refs(_ repo: RepoID, includePullRequests: Bool = true) throws -> RepoRefs {
        let url = apiURL(repo) + "/refs" + (includePullRequests ? "?include_prs=1" : "")
        let context = RequestContext(repo: repo.description, revision: nil, path: nil, authenticated: authenticated)
        return try http.getJSON(RepoRefs.self, url: url, context: context).0
    }

    /// The Hub's safetensors conversion pull request, for a repository whose branch has `.bin`
    /// weights but no safetensors: the pull requests are tried newest (highest number) first and
    /// the first whose files include `*.safetensors` and `model.safetensors.index.json` wins.
    /// Nil when no pull request qualifies. At most `limit` pull requests are listed (each costs
    /// two API requests).
    public func conversionPullRequest(_ repo: RepoID, limit: Int = 20) throws -> ConversionPullRequest? {
        let prs = try refs(repo, includePullRequests: true).pullRequests
            .compactMap { ref in ref.pullRequestNumber.map { (number: $0, ref: ref) } }
            .sorted { $0.number > $1.number }
        for pr in prs.prefix(max(0, limit)) {
            let revision = "refs/pr/\(pr.number)"
            let manifest: Manifest
            do { manifest = try self.manifest(repo, revision: revision) } catch HubError.revisionNotFound {
                continue  // closed or deleted since the listing
            }
            if WeightFormats(manifest).isShardedSafetensors {
                return ConversionPullRequest(revision: revision, number: pr.number, manifest: manifest)
            }
        }
        return nil
    }

    /// Bytes `range` of a file (a `Range: bytes=a-b` GET of its resolve URL; the redirect to a CDN
    /// is followed without the token). Used to read a remote safetensors header (bytes 0–7, then
    /// the header) before the weights are downloaded. A server that ignores `Range` (200) is
    /// accepted when the body covers the range; it is never used for large reads.
    public func read(_ path: String, in repo: RepoID, revision: String, range: Range<Int64>) throws -> [UInt8] {
        guard range.lowerBound >= 0, !range.isEmpty, range.count <= 256 << 20 else {
            throw HubError.invalidOption("a ranged read must cover 1 byte to 256 MiB (asked for \(range))")
        }
        let url = resolveURL(repo, revision: revision, path: path)
        let context = RequestContext(repo: repo.description, revision: revision, path: path, authenticated: authenticated)
        let (response, finalURL) = try http.request(
            url, method: .get, context: context, followCrossOrigin: true,
            extraHeaders: ["Range: bytes=\(range.lowerBound)-\(range.upperBound - 1)", "Accept-Encoding: identity"])
        switch response.status {
        case 206:
            if let cr = response.headers["Content-Range"], let start = contentRangeStart(cr), start != range.lowerBound {
                throw HubError.invalidResponse(url: displayURL(finalURL), reason: "asked for bytes from \(range.lowerBound), got \(cr)")
            }
            guard response.body.count == range.count else {
                throw HubError.sizeMismatch(repo: repo.description, path: path, expected: Int64(range.count), actual: Int64(response.body.count))
            }
            return response.body
        case 200:
            guard response.body.count >= Int(range.upperBound) else {
                throw HubError.sizeMismatch(repo: repo.description, path: path, expected: range.upperBound, actual: Int64(response.body.count))
            }
            return Array(response.body[Int(range.lowerBound)..<Int(range.upperBound)])
        case 416:
            throw HubError.rangeNotSatisfiable(url: displayURL(finalURL))
        default:
            throw HubError.unexpectedStatus(url: displayURL(finalURL), status: response.status, message: nil)
        }
    }
}
