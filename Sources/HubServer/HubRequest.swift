import Foundation
import Hummingbird

/// Which of the server's two listeners a request arrived on.
public enum HubListener: String, Sendable, Hashable {
    /// The Hub itself: API and `resolve` URLs.
    case hub
    /// The second host LFS downloads are redirected to (signed URLs, no `X-Repo-Commit`).
    case cdn
}

/// An HTTP request as the server sees it: a value an interceptor may inspect or change
/// (for example drop its `Range` header) before the server answers it.
public struct HubRequest: Sendable {
    /// `GET`, `HEAD`, `POST`, …
    public var method: HTTPRequest.Method
    /// The path exactly as sent, still percent-encoded (`/api/models/a/b/revision/refs%2Fpr%2F1`).
    public var path: String
    /// The query string without `?`, if any.
    public var query: String?
    /// All request headers.
    public var headers: HTTPFields
    /// The `Host` the client addressed (`127.0.0.1:8080`), used to build absolute `Link` URLs.
    public var host: String?
    /// The listener that received the request.
    public var listener: HubListener
    /// The request body (only collected for `POST`, up to 1 MiB).
    public var body: [UInt8]

    public init(
        method: HTTPRequest.Method, path: String, query: String? = nil, headers: HTTPFields = [:],
        host: String? = nil, listener: HubListener, body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.host = host
        self.listener = listener
        self.body = body
    }

    /// The path split at `/` with each segment percent-decoded (`refs%2Fpr%2F1` → `refs/pr/1`).
    public var decodedSegments: [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map {
            String($0).removingPercentEncoding ?? String($0)
        }
    }

    /// The percent-decoded path, for matching (`/a/b/resolve/refs/pr/1/x.json`).
    public var decodedPath: String { path.removingPercentEncoding ?? path }

    /// Query parameters, percent-decoded (`+` stays `+`); the last value of a repeated name wins.
    public var queryItems: [String: String] {
        var items: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            items[name] = value
        }
        return items
    }

    /// The token of an `Authorization: Bearer <token>` header, if any.
    public var bearerToken: String? {
        guard let value = headers[.authorization] else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bearer ") else { return nil }
        let token = trimmed.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

/// Sees every request before the server answers it. The test hub uses one to record requests and
/// inject faults; `next` produces the server's own answer.
public protocol HubRequestInterceptor: Sendable {
    /// Answers `request`, usually by calling `next` (possibly with a changed request) and returning
    /// its response, possibly changed (status, headers, or a wrapped body).
    func respond(
        to request: HubRequest, server: HubServer,
        next: @Sendable (HubRequest) async -> Response
    ) async -> Response
}
