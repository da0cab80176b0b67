import Foundation
import Hummingbird
import ModelHub

extension HubServer {
    /// Entry point of both listeners: builds a ``HubRequest``, lets the interceptor see it, and
    /// stamps every answer with an `X-Request-Id`.
    func respond(to request: Request, listener: HubListener) async -> Response {
        var body: [UInt8] = []
        if request.method == .post {
            var request = request
            if let buffer = try? await request.collectBody(upTo: 1 << 20) { body = Array(buffer.readableBytesView) }
        }
        let hubRequest = HubRequest(
            method: request.method, path: request.uri.path, query: request.uri.query,
            headers: request.headers, host: request.head.authority, listener: listener, body: body
        )
        var response: Response
        if let interceptor = configuration.interceptor {
            response = await interceptor.respond(to: hubRequest, server: self) { await self.answer($0) }
        } else {
            response = await answer(hubRequest)
        }
        if response.headers[.xRequestID] == nil {
            response.headers[.xRequestID] = "Root=1-" + GitObjects.hex((0..<12).map { _ in UInt8.random(in: 0...255) })
        }
        return response
    }

    /// The server's own answer to `request`, without any interceptor.
    public func answer(_ request: HubRequest) async -> Response {
        var response: Response
        do {
            var routed = request
            if request.method == .head && request.decodedSegments.first == "api" { routed.method = .get }
            response = try await route(routed)
        } catch {
            response = HubErrorResponse.make(.internalServerError, code: nil, message: "\(error)")
        }
        // HEAD: the headers of GET, Content-Length included, and no body.
        if request.method == .head, let length = response.body.contentLength, length > 0 {
            response.body = .init()
            response.headers[.contentLength] = String(length)
        }
        return response
    }

    private func route(_ request: HubRequest) async throws -> Response {
        if request.listener == .cdn { return try await serveCDN(request) }
        if let token = request.bearerToken, let accepted = configuration.acceptedTokens, !accepted.contains(token) {
            return HubErrorResponse.invalidCredentials()
        }
        let s = request.decodedSegments
        if s.first == "api", s.count >= 6, s[1] == "resolve-cache", s[2] == "models" {
            guard request.method == .get || request.method == .head else { return HubErrorResponse.methodNotAllowed() }
            return try await resolveCache(request, repo: s[3] + "/" + s[4], commit: s[5], path: s[6...].joined(separator: "/"))
        }
        if s.first == "api" {
            guard s.count >= 4 else { return HubErrorResponse.notFound() }
            guard s[1] == "models" else {
                return ["datasets", "spaces"].contains(s[1])
                    ? HubErrorResponse.repoNotFound(authenticated: request.bearerToken != nil)
                    : HubErrorResponse.notFound()
            }
            return try await routeAPI(request, repo: s[2] + "/" + s[3], rest: Array(s[4...]))
        }
        if s.count >= 4, s[2] == "resolve" {
            guard request.method == .get || request.method == .head else { return HubErrorResponse.methodNotAllowed() }
            let (revision, rest) = HubServer.splitRevision(s[3...])
            return try await resolve(request, repo: s[0] + "/" + s[1], revision: revision, path: rest.joined(separator: "/"))
        }
        if s.count >= 5, ["datasets", "spaces"].contains(s[0]), s[3] == "resolve" {
            return HubErrorResponse.repoNotFound(authenticated: request.bearerToken != nil)
        }
        return HubErrorResponse.notFound()
    }

    private func routeAPI(_ request: HubRequest, repo: String, rest: [String]) async throws -> Response {
        switch (request.method, rest.first) {
        case (.get, nil):
            return try await modelInfo(request, repo: repo, revision: "main")
        case (.get, "revision") where rest.count >= 2:
            return try await modelInfo(request, repo: repo, revision: rest.dropFirst().joined(separator: "/"))
        case (.get, "tree") where rest.count >= 2:
            let (revision, path) = HubServer.splitRevision(rest.dropFirst())
            return try await tree(request, repo: repo, revision: revision, path: path.joined(separator: "/"))
        case (.get, "refs") where rest.count == 1:
            return try await refs(request, repo: repo)
        case (.post, "paths-info") where rest.count >= 2:
            return try await pathsInfo(request, repo: repo, revision: rest.dropFirst().joined(separator: "/"))
        default:
            return HubErrorResponse.notFound()
        }
    }

    /// Splits `refs/pr/1/a/b.json` (sent unencoded) or `refs%2Fpr%2F1/a/b.json` into revision and path.
    static func splitRevision(_ segments: ArraySlice<String>) -> (String, [String]) {
        let items = Array(segments)
        guard let first = items.first else { return ("main", []) }
        if first == "refs", items.count >= 3, ["pr", "convert", "heads", "tags"].contains(items[1]) {
            return (items[0...2].joined(separator: "/"), Array(items[3...]))
        }
        return (first, Array(items.dropFirst()))
    }

    /// The outcome of looking a repository up for a request.
    enum Lookup {
        case found(ServedRepository)
        case answer(Response)
    }

    /// What a request for a revision of a repository finds: the revision, or the answer to send
    /// instead (not found, renamed, no access, unknown revision).
    enum RevisionLookup {
        case found(ServedRepository, ServedRevision)
        case answer(Response)
    }

    /// `lookup` of the repository, then its `revision` (404 RevisionNotFound when unknown).
    func lookup(_ repoText: String, revision: String, for request: HubRequest, filePath: String? = nil) async throws -> RevisionLookup {
        switch try lookup(repoText, for: request, filePath: filePath) {
        case let .answer(response):
            return .answer(response)
        case let .found(repo):
            guard let (_, served) = try await catalog.resolve(repo, revision: revision) else {
                return .answer(HubErrorResponse.revisionNotFound(revision))
            }
            return .found(repo, served)
        }
    }

    /// Finds `repoText` and applies renames and access rules. `filePath` is set for file downloads,
    /// which gating restricts (except README.md and .gitattributes).
    func lookup(_ repoText: String, for request: HubRequest, filePath: String? = nil) throws -> Lookup {
        let token = request.bearerToken
        guard let id = try? RepoID(parsing: repoText), let repo = try catalog.repository(id) else {
            return .answer(HubErrorResponse.repoNotFound(authenticated: token != nil))
        }
        if let target = repo.settings.movedTo {
            return .answer(redirectRenamed(request, from: id, to: target))
        }
        if repo.settings.disabled == true { return .answer(HubErrorResponse.disabled()) }
        let allowed = token.map { (repo.settings.tokens ?? []).contains($0) } ?? false
        switch repo.settings.access ?? .public {
        case .private where !allowed:
            return .answer(HubErrorResponse.repoNotFound(authenticated: token != nil))
        case .gated where !allowed:
            if let filePath, filePath != "README.md", filePath != ".gitattributes" {
                return .answer(HubErrorResponse.gated(id.description, authenticated: token != nil))
            }
        default:
            break
        }
        return .found(repo)
    }

    /// A relative 307 to the same URL with the new repository id, as the Hub answers for renamed repos.
    private func redirectRenamed(_ request: HubRequest, from old: RepoID, to new: String) -> Response {
        let raw = request.path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let oldParts = [old.namespace ?? "", old.name]
        var location = request.path
        if let index = (0..<max(0, raw.count - 1)).first(where: { raw[$0] == oldParts[0] && raw[$0 + 1] == oldParts[1] }) {
            let newParts = new.split(separator: "/", maxSplits: 1).map(String.init)
            location = (raw[..<index] + newParts + raw[(index + 2)...]).joined(separator: "/")
        }
        if let query = request.query { location += "?" + query }
        var headers = HTTPFields()
        headers[.location] = location
        headers[.contentLength] = "0"
        return Response(status: .temporaryRedirect, headers: headers, body: .init())
    }
}
