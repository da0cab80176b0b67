import Foundation

/// Everything that can go wrong between hubkit and a Hub, each with the context a user needs and
/// a message that says what to do next. Tokens never appear in these messages, and URLs are shown
/// without their query (signed CDN URLs carry credentials there).
public enum HubError: Error, Sendable, Equatable {
    case invalidRepoID(String, reason: String)
    /// A path in a repository that would escape its snapshot folder (`../x`, `/abs`, `a//b`).
    case unsafePath(repo: String, path: String)
    /// 404 `RepoNotFound`, or a 401 on a repo URL: missing, private, or a token is needed.
    case repoNotFound(repo: String, authenticated: Bool)
    /// 401/403 `GatedRepo`: the licence must be accepted on the Hub first.
    case gatedRepo(repo: String, authenticated: Bool)
    /// "Access to this resource is disabled."
    case disabledRepo(repo: String)
    /// 404 `RevisionNotFound`.
    case revisionNotFound(repo: String, revision: String)
    /// 404 `EntryNotFound`: the file does not exist at that revision.
    case entryNotFound(repo: String, revision: String, path: String)
    /// 403 without a more specific code: the token lacks permission.
    case forbidden(repo: String, what: String, authenticated: Bool)
    /// 416: a resume offset beyond the end of the file.
    case rangeNotSatisfiable(url: String)
    /// 429 after all retries.
    case rateLimited(url: String, retryAfter: Int?)
    /// 5xx after all retries.
    case serverError(url: String, status: Int, requestID: String?)
    /// Any other unexpected HTTP status.
    case unexpectedStatus(url: String, status: Int, message: String?)
    /// A response that is not what the Hub API sends (bad JSON, missing `X-Repo-Commit`, …).
    case invalidResponse(url: String, reason: String)
    /// Connection refused, DNS, TLS, timeouts: after all retries.
    case network(url: String, message: String)
    /// No bytes arrived for `seconds`, on every attempt.
    case stalled(url: String, seconds: Int)
    /// Offline (`--offline` / `HF_HUB_OFFLINE`) and the cache has no snapshot for this revision.
    case offlineNotCached(repo: String, revision: String, cache: String)
    /// Offline and this file is not in the cached snapshot.
    case offlineFileNotCached(repo: String, revision: String, path: String)
    /// The downloaded bytes do not hash to what the Hub lists, even after a fresh retry.
    case checksumMismatch(repo: String, path: String, algorithm: String, expected: String, actual: String)
    /// The server sent a different number of bytes than the listing says.
    case sizeMismatch(repo: String, path: String, expected: Int64, actual: Int64)
    /// Not enough free space for what is to be downloaded.
    case insufficientDiskSpace(path: String, needed: Int64, available: Int64)
    /// A pinned manifest no longer matches the Hub.
    case manifestMismatch(repo: String, path: String, detail: String)
    /// A manifest file that cannot be read.
    case invalidManifest(path: String, reason: String)
    /// No file of the repository matches the selection.
    case noFilesMatched(repo: String, revision: String, patterns: [String])
    /// A local file operation failed.
    case io(path: String, message: String)
    /// An option combination that cannot work.
    case invalidOption(String)
}

extension HubError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .invalidRepoID(text, reason):
            return "'\(text)' is not a valid repository id (\(reason)); write it as namespace/name, e.g. stabilityai/StableBeluga2"
        case let .unsafePath(repo, path):
            return "\(repo) lists a file named '\(path)', which would land outside the snapshot folder; refusing to download anything"
        case let .repoNotFound(repo, authenticated):
            return "repository \(repo) not found: check the spelling; if it is private, "
                + (authenticated ? "the token given has no access to it" : "pass --token or set HF_TOKEN")
        case let .gatedRepo(repo, authenticated):
            return "\(repo) is gated: accept its licence on the Hub (its model page), then "
                + (authenticated ? "retry with a token of the account that accepted it" : "pass --token or set HF_TOKEN")
        case let .disabledRepo(repo):
            return "access to \(repo) has been disabled by the Hub; nothing can be downloaded from it"
        case let .revisionNotFound(repo, revision):
            return "revision '\(revision)' not found in \(repo): check the branch, tag or commit (refs/pr/N for pull requests)"
        case let .entryNotFound(repo, revision, path):
            return "file '\(path)' not found in \(repo) at revision '\(revision)': check its name with `hubkit resolve \(repo)`"
        case let .forbidden(repo, what, authenticated):
            return "the Hub refused access to \(what) of \(repo) (403): "
                + (authenticated ? "the token lacks permission for it" : "pass --token or set HF_TOKEN with a token that has access")
        case let .rangeNotSatisfiable(url):
            return "\(url) refused the resume offset (416); the partial file was discarded, run the command again"
        case let .rateLimited(url, retryAfter):
            return "rate limited by \(url) (429)" + (retryAfter.map { ", asked to wait \($0) s" } ?? "") + "; wait a moment and retry, or pass a token"
        case let .serverError(url, status, requestID):
            return "the server answered \(status) for \(url) after several retries" + (requestID.map { " (request id \($0))" } ?? "")
                + "; try again later"
        case let .unexpectedStatus(url, status, message):
            return "unexpected HTTP \(status) from \(url)" + (message.map { ": \($0)" } ?? "")
        case let .invalidResponse(url, reason):
            return "\(url) did not answer like a Hugging Face Hub: \(reason); check HF_ENDPOINT"
        case let .network(url, message):
            return "network error talking to \(url): \(message); check the connection, proxy variables and HF_ENDPOINT, then retry (downloads resume)"
        case let .stalled(url, seconds):
            return "no data arrived from \(url) for \(seconds) s on every retry; run the command again to resume"
        case let .offlineNotCached(repo, revision, cache):
            return "offline mode: \(repo) at revision '\(revision)' is not in the cache \(cache); download it once online (unset HF_HUB_OFFLINE, drop --offline)"
        case let .offlineFileNotCached(repo, revision, path):
            return "offline mode: '\(path)' of \(repo) at revision '\(revision)' is not in the cache; download it once online"
        case let .checksumMismatch(repo, path, algorithm, expected, actual):
            return "\(repo)/\(path) is corrupt: \(algorithm) expected \(expected), got \(actual) (the bad data was deleted; retry, or report the mirror)"
        case let .sizeMismatch(repo, path, expected, actual):
            return "\(repo)/\(path): expected \(expected) bytes, received \(actual); retry (downloads resume)"
        case let .insufficientDiskSpace(path, needed, available):
            return "not enough disk space in \(path): need \(formatBytes(needed)), available \(formatBytes(available)); free space, choose another --cache-dir, or pass --force"
        case let .manifestMismatch(repo, path, detail):
            return "the pinned manifest no longer matches \(repo) on the Hub: \(path): \(detail); resolve a new manifest with `hubkit resolve` if the change is expected"
        case let .invalidManifest(path, reason):
            return "cannot read manifest \(path): \(reason)"
        case let .noFilesMatched(repo, revision, patterns):
            return "no file of \(repo) at '\(revision)' matches " + (patterns.isEmpty ? "the selection" : patterns.joined(separator: ", "))
                + "; list the files with `hubkit resolve \(repo)`"
        case let .io(path, message):
            return "\(path): \(message)"
        case let .invalidOption(message):
            return message
        }
    }
}

/// `1.5 GiB`-style sizes for messages.
public func formatBytes(_ n: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n)
    var i = 0
    while v >= 1024, i < units.count - 1 { v /= 1024; i += 1 }
    return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
}
