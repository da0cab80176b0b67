/// What a request was about, so an HTTP status can become the right ``HubError``.
struct RequestContext: Sendable {
    var repo: String
    var revision: String?
    var path: String?
    var authenticated: Bool
}

extension HubError {
    /// The one place where HTTP statuses and the Hub's `X-Error-Code` / `X-Error-Message`
    /// become domain errors (rules from huggingface_hub's `hf_raise_for_status`). Returns nil for
    /// 2xx/3xx.
    static func from(status: Int, headers: HTTPHeaders, url: String, context: RequestContext) -> HubError? {
        guard status >= 400 else { return nil }
        let code = headers["X-Error-Code"]
        let message = headers["X-Error-Message"]
        let shown = displayURL(url)
        switch code {
        case "RevisionNotFound":
            return .revisionNotFound(repo: context.repo, revision: context.revision ?? "main")
        case "EntryNotFound":
            return .entryNotFound(repo: context.repo, revision: context.revision ?? "main", path: context.path ?? "?")
        case "GatedRepo":
            return .gatedRepo(repo: context.repo, authenticated: context.authenticated)
        default: break
        }
        if message == "Access to this resource is disabled." { return .disabledRepo(repo: context.repo) }
        if code == "RepoNotFound" { return .repoNotFound(repo: context.repo, authenticated: context.authenticated) }
        switch status {
        case 401:
            if message == "Invalid credentials in Authorization header" {
                return .unexpectedStatus(url: shown, status: 401, message: "the token was rejected; check --token / HF_TOKEN")
            }
            return .repoNotFound(repo: context.repo, authenticated: context.authenticated)
        case 404:
            if let path = context.path { return .entryNotFound(repo: context.repo, revision: context.revision ?? "main", path: path) }
            return .repoNotFound(repo: context.repo, authenticated: context.authenticated)
        case 403:
            return .forbidden(repo: context.repo, what: context.path.map { "'\($0)'" } ?? "the repository", authenticated: context.authenticated)
        case 416:
            return .rangeNotSatisfiable(url: shown)
        case 429:
            return .rateLimited(url: shown, retryAfter: retryAfterSeconds(headers).map { Int($0) })
        case 500...599:
            return .serverError(url: shown, status: status, requestID: headers["X-Request-Id"] ?? headers["X-Amzn-Trace-Id"])
        default:
            return .unexpectedStatus(url: shown, status: status, message: message)
        }
    }

    /// The Hub could not be reached or answered only with server errors (a cached copy may serve).
    var isUnreachable: Bool {
        switch self {
        case .network, .stalled, .serverError: return true
        default: return false
        }
    }

    /// Whether trying again can help.
    var isRetryable: Bool {
        switch self {
        case .rateLimited, .serverError, .network, .stalled: return true
        case let .unexpectedStatus(_, status, _): return status == 408
        default: return false
        }
    }
}

/// Seconds to wait before retrying a 429: `RateLimit: "…";r=0;t=N` (then N+1), else an integer
/// `Retry-After` (+1, like huggingface_hub); nil when neither is present. HTTP dates are ignored.
func retryAfterSeconds(_ headers: HTTPHeaders) -> Double? {
    if let rl = headers["RateLimit"] {
        var r: Int?
        var t: Int?
        for part in rl.split(separator: ";") {
            let kv = part.trimmingSpaces().split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            if kv[0] == "r" { r = Int(kv[1]) }
            if kv[0] == "t" { t = Int(kv[1]) }
        }
        if r == 0, let t { return Double(t + 1) }
    }
    if let ra = headers["Retry-After"], let s = Int(ra.trimmingCharacters(in: .whitespaces)) { return Double(s + 1) }
    return nil
}

import Foundation
