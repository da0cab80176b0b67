import Foundation
import HubServer
import Hummingbird

/// One request a ``TestHub`` received, as recorded when its answer was ready.
public struct RecordedRequest: Sendable {
    /// `GET`, `HEAD`, …
    public let method: String
    /// The path as sent (percent-encoded), without the query.
    public let path: String
    /// The query string without `?`.
    public let query: String?
    /// Request headers, names lower-cased; repeated headers joined with ", ".
    public let headers: [String: String]
    /// The `Host` the client addressed (e.g. `127.0.0.2:41234` on the CDN).
    public let host: String?
    /// Which listener got it.
    public let listener: HubListener
    /// Status of the answer (after faults).
    public let status: Int
    /// When the request arrived (before any fault delayed it): to check a client's backoff.
    public let receivedAt: Date

    /// The `Authorization` header, if any.
    public var authorization: String? { headers["authorization"] }
    /// The `Range` header, if any.
    public var range: String? { headers["range"] }
    /// The percent-decoded path.
    public var decodedPath: String { path.removingPercentEncoding ?? path }
}

/// A Hub-compatible server for tests, in-process on 127.0.0.1 with an ephemeral port, serving a
/// folder of repositories (see ``RepositoryFixture``) or a hub cache, with a changeable
/// ``FaultPlan`` and a log of every request it received. LFS downloads are redirected to a second
/// listener on another host (``cdnEndpoint``).
///
/// ```swift
/// let fixture = try RepositoryFixture()
/// try fixture.addRepository("org/tiny", files: ["config.json": "{}"])
/// let hub = try await TestHub.start(repositories: fixture.root)
/// hub.faults.add(.status(503), path: "*/config.json", times: 2)
/// // … point the client at hub.endpoint …
/// #expect(hub.requests.contains { $0.authorization == nil && $0.listener == .cdn })
/// await hub.stop()
/// ```
public final class TestHub: Sendable {
    /// The underlying server.
    public let server: HubServer
    /// Faults to inject; change them at any time.
    public let faults: FaultPlan
    /// `http://127.0.0.1:PORT`: use as `HF_ENDPOINT`.
    public let endpoint: String
    /// `http://127.0.0.2:PORT` (or `http://localhost:PORT`): where LFS downloads are redirected.
    public let cdnEndpoint: String
    private let log: Locked<[RecordedRequest]>

    private init(server: HubServer, faults: FaultPlan, log: Locked<[RecordedRequest]>) throws {
        guard let endpoint = server.endpoint, let cdnEndpoint = server.cdnEndpoint else {
            throw HubServerError.bindFailed(host: server.configuration.host, port: 0, reason: "not started")
        }
        self.server = server
        self.faults = faults
        self.endpoint = endpoint
        self.cdnEndpoint = cdnEndpoint
        self.log = log
    }

    /// Starts a hub over a folder of repositories (`ROOT/ns/name/...`).
    /// - Parameters:
    ///   - treePageSize: entries per tree API page; small values exercise pagination.
    ///   - lfsSizeThreshold: files at least this large are LFS (302 to the CDN) whatever their extension.
    ///   - acceptedTokens: when set, any other bearer token gets 401 "Invalid credentials…".
    public static func start(
        repositories root: String, treePageSize: Int = 1000, lfsSizeThreshold: Int64 = 1 << 20,
        acceptedTokens: Set<String>? = nil
    ) async throws -> TestHub {
        try await start(configuration: HubServerConfiguration(
            source: .repositories(root), treePageSize: treePageSize, lfsSizeThreshold: lfsSizeThreshold,
            acceptedTokens: acceptedTokens
        ))
    }

    /// Starts a hub that mirrors a huggingface_hub cache folder.
    public static func start(cache root: String, treePageSize: Int = 1000) async throws -> TestHub {
        try await start(configuration: HubServerConfiguration(source: .cache(root), treePageSize: treePageSize))
    }

    /// Starts a hub with a full configuration (its `interceptor` is replaced by the test hub's own).
    public static func start(configuration: HubServerConfiguration) async throws -> TestHub {
        let faults = FaultPlan()
        let log = Locked([RecordedRequest]())
        var configuration = configuration
        configuration.interceptor = TestHubInterceptor(faults: faults, log: log)
        let server = try HubServer(configuration: configuration)
        try await server.start()
        return try TestHub(server: server, faults: faults, log: log)
    }

    /// Every request received so far, in the order their answers were ready.
    public var requests: [RecordedRequest] { log.current }

    /// Forgets the recorded requests.
    public func clearRequests() {
        log.withLock { $0.removeAll() }
    }

    /// Stops both listeners and closes open connections (ending any stall early).
    public func stop() async {
        await server.stop()
    }
}

/// Runs `body` with a started ``TestHub`` and always stops it afterwards.
public func withTestHub<R>(
    repositories root: String, treePageSize: Int = 1000, lfsSizeThreshold: Int64 = 1 << 20,
    _ body: (TestHub) async throws -> R
) async throws -> R {
    let hub = try await TestHub.start(repositories: root, treePageSize: treePageSize, lfsSizeThreshold: lfsSizeThreshold)
    do {
        let result = try await body(hub)
        await hub.stop()
        return result
    } catch {
        await hub.stop()
        throw error
    }
}

/// Records requests and applies the fault plan.
struct TestHubInterceptor: HubRequestInterceptor {
    let faults: FaultPlan
    let log: Locked<[RecordedRequest]>

    func respond(to request: HubRequest, server: HubServer, next: @Sendable (HubRequest) async -> Response) async -> Response {
        let receivedAt = Date()
        let response = await FaultInjector.respond(to: request, server: server, plan: faults, next: next)
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        if let host = request.host, headers["host"] == nil { headers["host"] = host }
        let record = RecordedRequest(
            method: request.method.rawValue, path: request.path, query: request.query, headers: headers,
            host: request.host, listener: request.listener, status: Int(response.status.code), receivedAt: receivedAt
        )
        log.withLock { $0.append(record) }
        return response
    }
}
