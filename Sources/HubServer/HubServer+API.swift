import Foundation
import Hummingbird
import ModelHub

extension HubServer {
    /// `GET /api/models/{repo}[/revision/{rev}][?blobs=true]`.
    func modelInfo(_ request: HubRequest, repo repoText: String, revision: String) async throws -> Response {
        let repo: ServedRepository, served: ServedRevision
        switch try await lookup(repoText, revision: revision, for: request) {
        case let .answer(response): return response
        case let .found(found, revision): (repo, served) = (found, revision)
        }
        let blobs = HubServer.isTrue(request.queryItems["blobs"])
        let siblings = served.files.map { file in
            APIModels.Sibling(
                rfilename: file.path,
                size: blobs ? file.size : nil,
                blobId: blobs ? file.gitOID : nil,
                lfs: blobs ? file.lfsSHA256.map { APIModels.SiblingLFS(size: file.size, sha256: $0, pointerSize: file.pointerSize ?? 0) } : nil
            )
        }
        let settings = repo.settings
        let date = HubJSON.date(served.lastModified)
        let info = APIModels.ModelInfo(
            _id: String(GitObjects.blobID(of: Array(repo.id.description.utf8)).prefix(24)),
            id: repo.id.description, modelId: repo.id.description, author: repo.id.namespace,
            sha: served.commit, lastModified: date, createdAt: date,
            private: settings.access == .private, disabled: settings.disabled ?? false,
            gated: settings.access == .gated ? .mode(settings.gatedMode ?? "manual") : .no,
            downloads: 0, likes: 0, tags: [], siblings: siblings,
            usedStorage: served.files.reduce(0) { $0 + $1.size }
        )
        return HubJSON.response(info)
    }

    /// `GET /api/models/{repo}/tree/{rev}[/{path}][?recursive=true&expand=true&cursor=…]`, paginated
    /// with a `Link: <…>; rel="next"` header.
    func tree(_ request: HubRequest, repo repoText: String, revision: String, path: String) async throws -> Response {
        let served: ServedRevision
        switch try await lookup(repoText, revision: revision, for: request) {
        case let .answer(response): return response
        case let .found(_, revision): served = revision
        }
        let query = request.queryItems
        let recursive = HubServer.isTrue(query["recursive"])
        let expand = HubServer.isTrue(query["expand"])
        guard path.isEmpty || isSafeRepoPath(path) else { return HubErrorResponse.entryNotFound(commit: served.commit) }
        let prefix = path.isEmpty ? "" : path + "/"
        if !path.isEmpty, !served.files.contains(where: { $0.path.hasPrefix(prefix) }) {
            var response = HubErrorResponse.make(.notFound, code: "EntryNotFound", message: "\(path) does not exist on \"\(revision)\"")
            response.headers[.xRepoCommit] = served.commit
            return response
        }
        let entries = HubServer.treeEntries(served, under: prefix, recursive: recursive, expand: expand)
        let pageSize = expand ? min(50, configuration.treePageSize) : configuration.treePageSize
        let offset = query["cursor"].flatMap { Data(base64Encoded: $0) }.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
        let start = min(max(0, offset), entries.count)
        let end = min(start + pageSize, entries.count)
        var headers = HTTPFields()
        if end < entries.count {
            let cursor = Data(String(end).utf8).base64EncodedString()
            var items = (request.query ?? "").split(separator: "&").filter { !$0.hasPrefix("cursor=") }.map(String.init)
            items.append("cursor=" + (cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor))
            let host = request.host ?? endpoint.map { String($0.dropFirst("http://".count)) } ?? "127.0.0.1"
            headers[.link] = "<http://\(host)\(request.path)?\(items.joined(separator: "&"))>; rel=\"next\""
        }
        return HubJSON.response(Array(entries[start..<end]), headers: headers)
    }

    /// `POST /api/models/{repo}/paths-info/{rev}` with form fields `paths` (repeated) and `expand`.
    func pathsInfo(_ request: HubRequest, repo repoText: String, revision: String) async throws -> Response {
        let served: ServedRevision
        switch try await lookup(repoText, revision: revision, for: request) {
        case let .answer(response): return response
        case let .found(_, revision): served = revision
        }
        var wanted: [String] = []
        var expand = false
        for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            guard parts.count == 2 else { continue }
            if parts[0] == "paths" { wanted.append(parts[1]) }
            if parts[0] == "expand" { expand = HubServer.isTrue(parts[1]) }
        }
        let all = HubServer.treeEntries(served, under: "", recursive: true, expand: expand)
        return HubJSON.response(all.filter { wanted.contains($0.path) })
    }

    /// `GET /api/models/{repo}/refs[?include_prs=1]`.
    func refs(_ request: HubRequest, repo repoText: String) async throws -> Response {
        let repo: ServedRepository
        switch try lookup(repoText, for: request) {
        case let .answer(response): return response
        case let .found(found): repo = found
        }
        var commits: [String: String] = [:]
        for ref in repo.refs { commits[ref.name] = try await catalog.load(ref.location).commit }
        func refs(_ kind: RefKind) -> [APIModels.Ref] {
            repo.refs.filter { $0.kind == kind }.compactMap { ref in
                commits[ref.name].map {
                    APIModels.Ref(name: ref.name, ref: kind == .branch ? "refs/heads/" + ref.name : ref.name, targetCommit: $0)
                }
            }
        }
        let tags = repo.tags.sorted { $0.key < $1.key }.compactMap { tag, target in
            commits[target].map { APIModels.Ref(name: tag, ref: "refs/tags/" + tag, targetCommit: $0) }
        }
        let includePRs = HubServer.isTrue(request.queryItems["include_prs"])
        return HubJSON.response(APIModels.Refs(
            branches: refs(.branch), converts: refs(.convert), tags: tags,
            pullRequests: includePRs ? refs(.pullRequest) : nil
        ))
    }

    /// Tree entries below `prefix` (directories and files), sorted by path.
    static func treeEntries(_ revision: ServedRevision, under prefix: String, recursive: Bool, expand: Bool) -> [APIModels.TreeEntry] {
        let lastCommit = expand
            ? APIModels.LastCommit(id: revision.commit, title: "Upload folder", date: HubJSON.date(revision.lastModified))
            : nil
        var directories: [String: [(path: String, oid: String)]] = [:]
        var entries: [APIModels.TreeEntry] = []
        for file in revision.files where file.path.hasPrefix(prefix) {
            let relative = file.path.dropFirst(prefix.count)
            let parts = relative.split(separator: "/")
            for depth in 1..<max(1, parts.count) {
                let dir = prefix + parts[0..<depth].joined(separator: "/")
                directories[dir, default: []].append((file.path, file.gitOID))
            }
            guard recursive || parts.count == 1 else { continue }
            entries.append(APIModels.TreeEntry(
                type: "file", oid: file.gitOID, size: file.size, path: file.path,
                lfs: file.lfsSHA256.map { APIModels.TreeLFS(oid: $0, size: file.size, pointerSize: file.pointerSize ?? 0) },
                lastCommit: lastCommit
            ))
        }
        for (dir, children) in directories {
            guard recursive || !dir.dropFirst(prefix.count).contains("/") else { continue }
            entries.append(APIModels.TreeEntry(
                type: "directory", oid: GitObjects.treeID(entries: children), size: 0, path: dir, lfs: nil, lastCommit: lastCommit
            ))
        }
        return entries.sorted { $0.path < $1.path }
    }

    static func isTrue(_ value: String?) -> Bool {
        guard let value = value?.lowercased() else { return false }
        return ["1", "true", "yes", "on"].contains(value)
    }
}
