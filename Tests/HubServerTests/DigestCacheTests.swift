import Foundation
@testable import HubServer
import Testing
import TestSupport

@Suite("digest cache")
struct DigestCacheTests {
    @Test("each file version is hashed once, however many requests need its digest")
    func hashOnce() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.addRepository("org/r", textFiles: ["config.json": "{}", "a.txt": "a\n"])
        try fixture.addRandomFile("org/r", path: "big.dat", size: (1 << 20) + 5, seed: 2)  // LFS by size
        let hub = try await TestHub.start(repositories: fixture.root)
        let urls = ["/api/models/org/r?blobs=true", "/api/models/org/r/tree/main", "/org/r/resolve/main/big.dat", "/org/r/resolve/main/config.json"]
        let replies = try await withThrowingTaskGroup(of: Int.self) { group in
            for round in 0..<3 {
                for url in urls { group.addTask { try await RawHTTP.send(round == 0 ? "GET" : "HEAD", hub.endpoint + url).status } }
            }
            var statuses: [Int] = []
            for try await status in group { statuses.append(status) }
            return statuses
        }
        #expect(replies.allSatisfy { $0 == 200 || $0 == 302 })
        #expect(await hub.server.catalog.digests.hashCount == 3)

        // A changed file is hashed again; the others are not.
        try Data("changed\n".utf8).write(to: URL(fileURLWithPath: fixture.folder("org/r") + "/a.txt"))
        let after = try await RawHTTP.send("GET", hub.endpoint + "/org/r/resolve/main/a.txt")
        #expect(text(after.body) == "changed\n")
        #expect(await hub.server.catalog.digests.hashCount == 4)
        await hub.stop()
    }
}

@Suite("server lifecycle")
struct LifecycleTests {
    @Test("warmUp hashes every file of every revision once, so requests hash nothing more")
    func warmUp() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        try repos.fixture.addRepository("other/repo", textFiles: ["x.txt": "x"])
        let hub = try await repos.start()
        let (files, bytes) = await hub.server.warmUp()
        // org/tiny main (6 files) + refs/pr/1 (1) + other/repo (1)
        #expect(files == 8)
        #expect(bytes > 8000)
        let hashed = await hub.server.catalog.digests.hashCount
        #expect(hashed == 8)
        _ = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/tree/main?recursive=true")
        _ = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/refs%2Fpr%2F1/config.json")
        #expect(await hub.server.catalog.digests.hashCount == hashed)
        await hub.stop()
    }

    @Test("a port in use is a bindFailed error naming host and port; a server starts only once")
    func bindFailure() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        let first = try await repos.start()
        let port = try #require(URL(string: first.endpoint)?.port)
        let second = try HubServer(configuration: HubServerConfiguration(source: .repositories(repos.root), port: port))
        await #expect(throws: HubServerError.self) { try await second.start() }
        await #expect(throws: HubServerError.self) { try await first.server.start() }
        #expect(try await RawHTTP.send("HEAD", first.endpoint + "/org/tiny/resolve/main/config.json").status == 200)
        await first.stop()
        #expect(throws: HubServerError.missingRoot("/nonexistent/x")) {
            try HubServer(configuration: HubServerConfiguration(source: .repositories("/nonexistent/x")))
        }
    }
}

@Suite("stopping")
struct StopTests {
    @Test("stop() returns promptly while a client that reads nothing holds a large download open")
    func stopDuringTransfer() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.addRandomFile("org/big", path: "blob.txt", size: 32 << 20, seed: 5)  // LFS by size, 32 MiB
        let hub = try await TestHub.start(repositories: fixture.root)
        let head = try await RawHTTP.send("HEAD", hub.endpoint + "/org/big/resolve/main/blob.txt")
        let location = try #require(head.header("Location"))
        let url = try #require(URLComponents(string: location))
        // A client that asks and then never reads: the server's writes block on a full socket.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(url.port ?? 0).bigEndian)
        _ = inet_pton(AF_INET, url.host == "localhost" ? "127.0.0.1" : url.host ?? "", &addr.sin_addr)
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let request = Array("GET \(url.percentEncodedPath)?\(url.percentEncodedQuery ?? "") HTTP/1.1\r\nHost: \(url.host ?? ""):\(url.port ?? 0)\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        try await Task.sleep(nanoseconds: 300_000_000)
        let started = Date()
        await hub.stop()
        #expect(Date().timeIntervalSince(started) < 5)
    }
}
