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
