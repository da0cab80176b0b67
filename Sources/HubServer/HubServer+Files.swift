import Foundation
import Hummingbird
import ModelHub

extension HubServer {
    /// `GET|HEAD /{repo}/resolve/{rev}/{path}`: 200 with the bytes of a regular file, or a 302 to a
    /// signed CDN URL for an LFS file, with the headers huggingface_hub reads (hub-protocol.md §3).
    func resolve(_ request: HubRequest, repo repoText: String, revision: String, path: String) async throws -> Response {
        let repo: ServedRepository, served: ServedRevision
        switch try await lookup(repoText, revision: revision, for: request, filePath: path) {
        case let .answer(response): return response
        case let .found(found, revision): (repo, served) = (found, revision)
        }
        guard isSafeRepoPath(path), let file = served.file(at: path) else {
            return HubErrorResponse.entryNotFound(commit: served.commit)
        }
        var headers = HTTPFields()
        headers[.xRepoCommit] = served.commit
        if let sha256 = file.lfsSHA256 {
            let cdnBase = cdnEndpoint ?? ""
            headers[.location] = cdnBase + cdn.signedPath(for: file)
            headers[.xLinkedEtag] = "\"\(sha256)\""
            headers[.xLinkedSize] = String(file.size)
            headers[.eTag] = "\"\(sha256)\""
            headers[.contentLength] = "0"
            return Response(status: .found, headers: headers, body: .init())
        }
        if configuration.resolveCacheRedirects {
            let encodedPath = path.split(separator: "/").map {
                String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? String($0)
            }.joined(separator: "/")
            headers[.location] = "/api/resolve-cache/models/\(repo.id)/\(served.commit)/\(encodedPath)?etag=\(file.gitOID)"
            headers[.xLinkedEtag] = "\"\(file.gitOID)\""
            headers[.xLinkedSize] = String(file.size)
            headers[.contentLength] = "0"
            return Response(status: .temporaryRedirect, headers: headers, body: .init())
        }
        headers[.eTag] = "\"\(file.gitOID)\""
        headers[.contentType] = HubServer.contentType(path)
        return serveBytes(of: file, request: request, headers: headers)
    }

    /// `GET|HEAD /api/resolve-cache/models/{repo}/{commit}/{path}`: where ``HubServerConfiguration/resolveCacheRedirects``
    /// sends regular files; 200 with `ETag`, `Content-Length` and `X-Repo-Commit`.
    func resolveCache(_ request: HubRequest, repo repoText: String, commit: String, path: String) async throws -> Response {
        let repo: ServedRepository
        switch try lookup(repoText, for: request, filePath: path) {
        case let .answer(response): return response
        case let .found(found): repo = found
        }
        guard GitObjects.isHex(commit, count: 40), let (_, served) = try await catalog.resolve(repo, revision: commit) else {
            return HubErrorResponse.revisionNotFound(commit)
        }
        guard isSafeRepoPath(path), let file = served.file(at: path) else {
            return HubErrorResponse.entryNotFound(commit: served.commit)
        }
        var headers = HTTPFields()
        headers[.xRepoCommit] = served.commit
        headers[.eTag] = "\"\(file.gitOID)\""
        headers[.contentType] = HubServer.contentType(path)
        return serveBytes(of: file, request: request, headers: headers)
    }

    /// `GET|HEAD /lfs/<sha256>/<name>?Expires=…&Nonce=…&Signature=…` on the CDN listener.
    func serveCDN(_ request: HubRequest) async throws -> Response {
        let s = request.decodedSegments
        guard request.method == .get || request.method == .head else { return HubErrorResponse.methodNotAllowed() }
        guard s.count >= 2, s[0] == "lfs", GitObjects.isHex(s[1], count: 64) else { return HubServer.cdnError(.notFound, "NoSuchKey", "The specified key does not exist.") }
        switch cdn.check(sha256: s[1], query: request.queryItems) {
        case .forbidden:
            return HubServer.cdnError(.forbidden, "AccessDenied", "Invalid signature")
        case .expired:
            return HubServer.cdnError(.forbidden, "AccessDenied", "Request has expired")
        case .unknown:
            return HubServer.cdnError(.notFound, "NoSuchKey", "The specified key does not exist.")
        case let .ok(file):
            guard let status = FileStatus(path: file.diskPath), status.size == file.size else {
                return HubServer.cdnError(.notFound, "NoSuchKey", "The specified key does not exist.")
            }
            var headers = HTTPFields()
            headers[.eTag] = "\"\(s[1].prefix(32))\""
            headers[.contentType] = "application/octet-stream"
            headers[.contentDisposition] = "inline; filename=\"\(s.count > 2 ? s[2] : s[1])\""
            headers[.cacheControl] = "public, max-age=604800, immutable"
            return serveBytes(of: file, request: request, headers: headers)
        }
    }

    /// 200, 206 or 416 for `file`, honouring a single `Range`, streamed from disk; no body for HEAD.
    private func serveBytes(of file: ServedFile, request: HubRequest, headers base: HTTPFields) -> Response {
        var headers = base
        headers[.acceptRanges] = "bytes"
        let range: ClosedRange<Int64>
        let status: HTTPResponse.Status
        switch ByteRangeRequest(header: request.headers[.range], size: file.size) {
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(file.size)"
            headers[.contentLength] = "0"
            headers[.contentType] = nil
            return Response(status: .rangeNotSatisfiable, headers: headers, body: .init())
        case .whole:
            status = .ok
            range = 0...(file.size - 1)
        case let .partial(partial):
            status = .partialContent
            range = partial
            headers[.contentRange] = "bytes \(partial.lowerBound)-\(partial.upperBound)/\(file.size)"
        }
        let length = file.size == 0 ? 0 : range.upperBound - range.lowerBound + 1
        headers[.contentLength] = String(length)
        if request.method == .head || length == 0 {
            return Response(status: status, headers: headers, body: .init())
        }
        return Response(status: status, headers: headers, body: FileBody.make(path: file.diskPath, range: range))
    }

    private static func cdnError(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message></Error>"
        var headers = HTTPFields()
        headers[.contentType] = "application/xml"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    static func contentType(_ path: String) -> String {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch ext {
        case "json": return "application/json; charset=utf-8"
        case "txt", "md", "py", "yaml", "yml", "jinja": return "text/plain; charset=utf-8"
        default: return "application/octet-stream"
        }
    }
}
