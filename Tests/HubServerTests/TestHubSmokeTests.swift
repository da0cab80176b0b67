import Foundation
import HubServer
import Testing
import TestSupport

@Suite("TestHub")
struct TestHubSmokeTests {
    @Test("serves a small file and redirects an LFS file to the CDN host")
    func smoke() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.addRepository("org/tiny", textFiles: ["config.json": "{\"a\":1}"])
        try fixture.addRandomFile("org/tiny", path: "model.safetensors", size: 3000)
        let hub = try await TestHub.start(repositories: fixture.root)
        let small = try RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/config.json")
        #expect(small.status == 200)
        #expect(String(decoding: small.body, as: UTF8.self) == "{\"a\":1}")
        #expect(small.header("etag") == "\"" + gitBlobSHA1(Array("{\"a\":1}".utf8)) + "\"")
        let big = try RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/model.safetensors")
        #expect(big.status == 302)
        let location = try #require(big.header("location"))
        #expect(location.hasPrefix(hub.cdnEndpoint))
        let cdn = try RawHTTP.send("GET", location, headers: ["Range": "bytes=100-"])
        #expect(cdn.status == 206)
        #expect(cdn.body.count == 2900)
        await hub.stop()
    }
}

func gitBlobSHA1(_ bytes: [UInt8]) -> String { GitObjects.blobID(of: bytes) }
