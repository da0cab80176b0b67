import Foundation
import HubServer
import Testing
import TestSupport

@Suite("access rules, renames and tokens")
struct AccessTests {
    /// `org/private`, `org/gated`, `org/off` (disabled), `org/old` → `org/tiny`.
    private func makeRepos() throws -> StandardRepos {
        let repos = try StandardRepos()
        let files = ["config.json": "{}", "README.md": "# card\n"]
        try repos.fixture.addRepository("org/private", textFiles: files, settings: RepoSettings(access: .private, tokens: ["hf_good"]))
        try repos.fixture.addRepository("org/gated", textFiles: files, settings: RepoSettings(access: .gated, tokens: ["hf_good"]))
        try repos.fixture.addRepository("org/off", textFiles: files, settings: RepoSettings(disabled: true))
        try repos.fixture.setSettings("org/old", RepoSettings(movedTo: "org/tiny"))
        return repos
    }

    private func withHub(acceptedTokens: Set<String>? = nil, _ body: (TestHub) async throws -> Void) async throws {
        let repos = try makeRepos()
        defer { repos.remove() }
        let hub = try await repos.start(acceptedTokens: acceptedTokens)
        do { try await body(hub) } catch { await hub.stop(); throw error }
        await hub.stop()
    }

    @Test("a private repo looks missing without its token: anonymous 401 without code, other tokens 404")
    func privateRepo() async throws {
        try await withHub { hub in
            for url in ["/api/models/org/private", "/org/private/resolve/main/config.json"] {
                let anonymous = try await RawHTTP.send("GET", hub.endpoint + url)
                #expect(anonymous.status == 401)
                #expect(anonymous.header("X-Error-Code") == nil)
                let wrong = try await RawHTTP.send("GET", hub.endpoint + url, headers: ["Authorization": "Bearer hf_bad"])
                #expect(wrong.status == 404)
                #expect(wrong.header("X-Error-Code") == "RepoNotFound")
                let right = try await RawHTTP.send("GET", hub.endpoint + url, headers: ["Authorization": "Bearer hf_good"])
                #expect(right.status == 200)
            }
            let info = try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/private", headers: ["Authorization": "Bearer hf_good"]).body) as? [String: Any]
            #expect(info?["private"] as? Bool == true)
        }
    }

    @Test("a gated repo shows its API, but files need the token: 401 GatedRepo anonymous, 403 with another token")
    func gatedRepo() async throws {
        try await withHub { hub in
            let info = try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/gated").body) as? [String: Any]
            #expect(info?["gated"] as? String == "manual")
            let url = hub.endpoint + "/org/gated/resolve/main/config.json"
            let anonymous = try await RawHTTP.send("HEAD", url)
            #expect(anonymous.status == 401)
            #expect(anonymous.header("X-Error-Code") == "GatedRepo")
            #expect(anonymous.header("X-Error-Message")?.contains("org/gated") == true)
            let wrong = try await RawHTTP.send("HEAD", url, headers: ["Authorization": "Bearer hf_bad"])
            #expect(wrong.status == 403)
            #expect(wrong.header("X-Error-Code") == "GatedRepo")
            #expect(try await RawHTTP.send("HEAD", url, headers: ["Authorization": "Bearer hf_good"]).status == 200)
            #expect(try await RawHTTP.send("GET", hub.endpoint + "/org/gated/resolve/main/README.md").status == 200)
        }
    }

    @Test("a disabled repo answers 403 'Access to this resource is disabled.'")
    func disabledRepo() async throws {
        try await withHub { hub in
            for url in ["/api/models/org/off", "/org/off/resolve/main/config.json"] {
                let reply = try await RawHTTP.send("GET", hub.endpoint + url)
                #expect(reply.status == 403)
                #expect(reply.header("X-Error-Message") == "Access to this resource is disabled.")
            }
        }
    }

    @Test("a renamed repo answers a relative 307 to the new id, for API and resolve URLs, query kept")
    func renamedRepo() async throws {
        try await withHub { hub in
            let resolve = try await RawHTTP.send("HEAD", hub.endpoint + "/org/old/resolve/main/config.json")
            #expect(resolve.status == 307)
            #expect(resolve.header("Location") == "/org/tiny/resolve/main/config.json")
            let api = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/old/revision/main?blobs=true")
            #expect(api.status == 307)
            #expect(api.header("Location") == "/api/models/org/tiny/revision/main?blobs=true")
            let followed = try await RawHTTP.send("HEAD", hub.endpoint + (resolve.header("Location") ?? ""))
            #expect(followed.status == 200)
        }
    }

    @Test("with accepted tokens configured, an unknown token gets 401 'Invalid credentials in Authorization header'")
    func invalidCredentials() async throws {
        try await withHub(acceptedTokens: ["hf_good"]) { hub in
            let reply = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny", headers: ["Authorization": "Bearer hf_forged"])
            #expect(reply.status == 401)
            #expect(reply.header("X-Error-Message") == "Invalid credentials in Authorization header")
            #expect(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny", headers: ["Authorization": "Bearer hf_good"]).status == 200)
            #expect(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny").status == 200)
        }
    }

    @Test("a settings file that is not valid JSON gives a 500 naming the file, not a crash")
    func badSettings() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        try "{ not json".write(toFile: repos.fixture.folder("org/tiny") + "/.hubkit-repo.json", atomically: true, encoding: .utf8)
        let hub = try await repos.start()
        let reply = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny")
        #expect(reply.status == 500)
        #expect(reply.header("X-Error-Message")?.contains(".hubkit-repo.json") == true)
        await hub.stop()
    }

    @Test("a revision folder outside the served root is refused")
    func revisionOutsideRoot() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        try repos.fixture.setSettings("org/tiny", RepoSettings(revisions: ["dev": "/tmp"]))
        let hub = try await repos.start()
        let reply = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny")
        #expect(reply.status == 500)
        #expect(reply.header("X-Error-Message")?.contains("outside the served folder") == true)
        await hub.stop()
    }
}
