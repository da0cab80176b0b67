import Foundation
import Testing
import TestSupport

@Suite("hostile requests")
struct HostileInputTests {
    @Test("malformed and escaping URLs get 4xx answers and the server keeps serving")
    func malformed() async throws {
        try await withStandardHub { hub, repos in
            let paths = [
                "/org/tiny/resolve/main/%2e%2e/%2e%2e/etc/passwd",
                "/org/tiny/resolve/main/sub/../config.json",
                "/org/tiny/resolve/main//config.json",
                "/org/tiny/resolve/main/%00",
                "/org/tiny/resolve/main/%zz",
                "/org/tiny/resolve/%2e%2e/config.json",
                "/../../etc/passwd/resolve/main/x",
                "/api/models/../../etc/passwd",
                "/api/models/org/tiny/tree/main/%2e%2e%2f%2e%2e",
                "/api/models/org/tiny/tree/main/..?recursive=true&cursor=%FF%FF",
                "/api/models/org/tiny/tree/main?cursor=-5",
                "/api/models/org/tiny/tree/main?cursor=" + String(repeating: "A", count: 4000),
                "/api/models/" + String(repeating: "a", count: 3000) + "/x",
                "/api/models/org/tiny/revision/" + String(repeating: "f", count: 39),
                "/org/tiny@refs_pr_1/resolve/main/config.json",
                "/org/..%2Ftiny/resolve/main/config.json",
            ]
            for path in paths {
                let reply = try await RawHTTP.send("GET", hub.endpoint + path)
                #expect((400..<500).contains(reply.status) || reply.status == 200, "\(path) → \(reply.status)")
                if reply.status == 200 {
                    // Only a listing of the repository itself may come back, never an outside file.
                    #expect(!text(reply.body).contains("root:"), "\(path)")
                }
            }
            let ranges = ["bytes=99999999999999999999-", "bytes=--1", "bytes=-", "bytes=1-0", "bytes=0-99999999999999999999"]
            for range in ranges {
                let reply = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/config.json", headers: ["Range": range])
                #expect([200, 206, 416].contains(reply.status), "\(range) → \(reply.status)")
            }
            // Folders that are not repository content are never listed or served.
            try repos.fixture.addRepository("org/tiny", textFiles: [".git/HEAD": "ref: x\n", ".cache/huggingface/download/a.metadata": "x"])
            let tree = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/tree/main?recursive=true")
            #expect(!text(tree.body).contains(".git/"))
            #expect(!text(tree.body).contains(".cache"))
            #expect(try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/.git/HEAD").status == 404)
            let ok = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/config.json")
            #expect(ok.body == (try repos.bytes("config.json")))
        }
    }
}
