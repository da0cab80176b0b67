import Foundation
import Hummingbird
import Logging
import ModelHub

/// A Hugging-Face-compatible HTTP server over a folder of repositories or a hub cache: the Hub API
/// (model info, tree with pagination, refs, paths-info), `resolve` URLs with the Hub's headers,
/// relative redirects for renamed repos, 302s from LFS files to a second "CDN" listener with signed
/// URLs, byte ranges, and the Hub's error codes. See docs/serve.md.
///
/// ```swift
/// let server = try HubServer(configuration: .init(source: .repositories("/srv/repos")))
/// try await server.start()
/// print(server.endpoint!)   // http://127.0.0.1:PORT, usable as HF_ENDPOINT
/// await server.stop()
/// ```
public final class HubServer: Sendable {
    /// What the server was configured with.
    public let configuration: HubServerConfiguration
    let catalog: RepositoryCatalog
    let cdn: CDNSigner
    private let state = Locked(State())

    private struct State {
        var endpoint: String?
        var cdnEndpoint: String?
        var task: Task<Void, any Error>?
        var stopping = false
        var starting = false
    }

    /// Checks that the served folder exists; nothing listens before ``start()``.
    public init(configuration: HubServerConfiguration) throws {
        let root: String
        switch configuration.source {
        case let .repositories(path), let .cache(path): root = path
        }
        guard FileStatus(path: root)?.isDirectory == true else { throw HubServerError.missingRoot(root) }
        self.configuration = configuration
        catalog = RepositoryCatalog(configuration: configuration)
        cdn = CDNSigner(lifetime: configuration.cdnURLLifetime)
    }

    /// `http://host:port` of the Hub API once started (what `HF_ENDPOINT` should be).
    public var endpoint: String? { state.current.endpoint }
    /// `http://cdnhost:port` of the CDN listener once started.
    public var cdnEndpoint: String? { state.current.cdnEndpoint }
    /// Whether ``stop()`` has been called; long faults (stalls) end early when it is.
    public var isStopping: Bool { state.current.stopping }

    /// Binds both listeners and returns once they accept connections. A server starts once.
    public func start() async throws {
        guard state.withLock({ value -> Bool in
            defer { value.starting = true }
            return !value.starting
        }) else {
            throw HubServerError.bindFailed(host: configuration.host, port: configuration.port, reason: "this server was already started")
        }
        let cdnHost = configuration.cdnHost ?? (HubServer.canBind("127.0.0.2") ? "127.0.0.2" : "localhost")
        let (events, sink) = AsyncStream<StartEvent>.makeStream()
        let logger = HubServer.quietLogger()
        let hubApp = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in await self.respond(to: request, listener: .hub) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in sink.yield(.hub(channel.localAddress?.port ?? 0)) },
            logger: logger
        )
        let cdnApp = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in await self.respond(to: request, listener: .cdn) },
            configuration: .init(address: .hostname(cdnHost, port: configuration.cdnPort)),
            onServerRunning: { channel in sink.yield(.cdn(channel.localAddress?.port ?? 0)) },
            logger: logger
        )
        let task = Task<Void, any Error> {
            defer { sink.finish() }
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await hubApp.run() }
                    group.addTask { try await cdnApp.run() }
                    try await group.next()
                    group.cancelAll()
                }
            } catch {
                sink.yield(.failed("\(error)"))
                throw error
            }
        }
        state.withLock { $0.task = task }
        var hubPort: Int?
        var cdnPort: Int?
        for await event in events {
            switch event {
            case let .hub(port): hubPort = port
            case let .cdn(port): cdnPort = port
            case let .failed(reason):
                task.cancel()
                throw HubServerError.bindFailed(host: configuration.host, port: configuration.port, reason: reason)
            }
            if let hubPort, let cdnPort {
                state.withLock {
                    $0.endpoint = "http://\(HubServer.urlHost(configuration.host)):\(hubPort)"
                    $0.cdnEndpoint = "http://\(HubServer.urlHost(cdnHost)):\(cdnPort)"
                }
                return
            }
        }
        task.cancel()
        throw HubServerError.bindFailed(host: configuration.host, port: configuration.port, reason: "server ended before listening")
    }

    /// Serves until the surrounding task is cancelled or ``stop()`` is called (starting first
    /// unless ``start()`` was already called).
    public func run() async throws {
        if state.current.task == nil { try await start() }
        guard let task = state.current.task else { return }
        await withTaskCancellationHandler {
            _ = try? await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Computes the digests of every file of every revision now, so that the first request for a
    /// large file does not wait for it to be hashed (a client's metadata HEAD times out after 10 s).
    /// Returns how many files and bytes it saw; unreadable repositories are skipped.
    @discardableResult
    public func warmUp() async -> (files: Int, bytes: Int64) {
        var files = 0
        var bytes: Int64 = 0
        for id in catalog.source.allRepositoryIDs() {
            guard let repo = try? catalog.repository(id) else { continue }
            for location in repo.refs.map(\.location) + repo.looseSnapshots {
                guard let revision = try? await catalog.load(location) else { continue }
                files += revision.files.count
                bytes += revision.files.reduce(0) { $0 + $1.size }
            }
        }
        return (files, bytes)
    }

    /// Closes both listeners and open connections, and waits until they are closed.
    public func stop() async {
        let task = state.withLock { value -> Task<Void, any Error>? in
            value.stopping = true
            return value.task
        }
        task?.cancel()
        _ = try? await task?.value
    }

    private enum StartEvent: Sendable { case hub(Int), cdn(Int), failed(String) }

    private static func quietLogger() -> Logger {
        var logger = Logger(label: "hubkit.serve")
        logger.logLevel = .critical
        return logger
    }

    private static func urlHost(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }

    /// Whether a TCP socket can be bound on `address` (127.0.0.2 is not configured on every OS).
    static func canBind(_ address: String) -> Bool {
        #if canImport(Darwin)
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else { return false }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
