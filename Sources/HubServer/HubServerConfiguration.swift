import Foundation

/// What a ``HubServer`` serves and how.
public struct HubServerConfiguration: Sendable {
    /// Where repositories come from.
    public enum Source: Sendable, Equatable {
        /// A folder of repositories, `ROOT/namespace/name/...` holding the files of `main`, each with an
        /// optional `.hubkit-repo.json` settings file (see docs/serve.md).
        case repositories(String)
        /// An existing huggingface_hub cache folder (`models--ns--name/{refs,snapshots,blobs}`), served
        /// as a LAN mirror.
        case cache(String)
    }

    /// The repositories to serve.
    public var source: Source
    /// Host the Hub API listens on (the endpoint clients use as `HF_ENDPOINT`).
    public var host: String
    /// Port of the Hub API; 0 picks a free port (read it back from ``HubServer/endpoint``).
    public var port: Int
    /// Host of the second, "CDN" listener that LFS downloads are redirected to. It must differ from
    /// `host` so that clients see a cross-host redirect (and must drop `Authorization`). `nil` tries
    /// 127.0.0.2 and falls back to `localhost` when that address cannot be bound.
    public var cdnHost: String?
    /// Port of the CDN listener; 0 picks a free port.
    public var cdnPort: Int
    /// Entries per page of the tree API before a `Link: <…>; rel="next"` header (the Hub uses 1000;
    /// tests set a small number to exercise pagination). `expand=true` pages hold at most 50.
    public var treePageSize: Int
    /// Files at least this large are stored "in LFS" (served by a 302 to the CDN, identified by
    /// sha256), whatever their extension. See ``GitObjects/isLFS(path:size:threshold:)``.
    public var lfsSizeThreshold: Int64
    /// How long a signed CDN URL stays valid.
    public var cdnURLLifetime: TimeInterval
    /// When set, a request whose `Authorization: Bearer` token is not in this set gets
    /// 401 "Invalid credentials in Authorization header". `nil` accepts any token as a valid user.
    public var acceptedTokens: Set<String>?
    /// Answer `resolve` of a regular (non-LFS) file with a relative 307 to
    /// `/api/resolve-cache/models/{repo}/{commit}/{path}` (with `X-Repo-Commit` and
    /// `X-Linked-Etag`), which then serves the bytes, as the live Hub did in 2026. Off: 200 directly.
    public var resolveCacheRedirects: Bool
    /// Sees every request before the server answers it and may change the request or the response
    /// (the test hub injects faults and records requests this way).
    public var interceptor: (any HubRequestInterceptor)?

    public init(
        source: Source,
        host: String = "127.0.0.1",
        port: Int = 0,
        cdnHost: String? = nil,
        cdnPort: Int = 0,
        treePageSize: Int = 1000,
        lfsSizeThreshold: Int64 = 1 << 20,
        cdnURLLifetime: TimeInterval = 3600,
        acceptedTokens: Set<String>? = nil,
        resolveCacheRedirects: Bool = false,
        interceptor: (any HubRequestInterceptor)? = nil
    ) {
        self.source = source
        self.host = host
        self.port = port
        self.cdnHost = cdnHost
        self.cdnPort = cdnPort
        self.treePageSize = max(1, treePageSize)
        self.lfsSizeThreshold = lfsSizeThreshold
        self.cdnURLLifetime = cdnURLLifetime
        self.acceptedTokens = acceptedTokens
        self.resolveCacheRedirects = resolveCacheRedirects
        self.interceptor = interceptor
    }
}
