import Foundation
import HubServer
import Testing
import TestSupport

@Suite("resolve URLs")
struct ResolveTests {
    @Test("a regular file answers 200 with the git blob ETag, Content-Length and X-Repo-Commit")
    func regularFile() async throws {
        try await withStandardHub { hub, repos in
            let info = try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny").body) as? [String: Any]
            let commit = try #require(info?["sha"] as? String)
            let reply = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/config.json")
            #expect(reply.status == 200)
            #expect(reply.body == (try repos.bytes("config.json")))
            #expect(reply.header("ETag") == "\"\(try await Subprocess.gitBlobID(repos.path("config.json")))\"")
            #expect(reply.header("Content-Length") == String(try repos.bytes("config.json").count))
            #expect(reply.header("X-Repo-Commit") == commit)
            #expect(reply.header("Accept-Ranges") == "bytes")
            #expect(reply.header("X-Request-Id")?.isEmpty == false)
        }
    }

    @Test("HEAD gives the same headers without a body")
    func head() async throws {
        try await withStandardHub { hub, repos in
            let get = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/sub/a.txt")
            let head = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/sub/a.txt")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.header("Content-Length") == "6")
            #expect(head.header("ETag") == get.header("ETag"))
            #expect(head.header("X-Repo-Commit") == get.header("X-Repo-Commit"))
        }
    }

    @Test("an LFS file answers 302 to the CDN host with X-Linked-Etag (sha256) and X-Linked-Size")
    func lfsRedirect() async throws {
        try await withStandardHub { hub, repos in
            for file in ["model.safetensors", "weights.dat"] {
                let reply = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/" + file)
                #expect(reply.status == 302)
                let sha = try await Subprocess.sha256(repos.path(file))
                #expect(reply.header("X-Linked-Etag") == "\"\(sha)\"")
                #expect(reply.header("X-Linked-Size") == String(try repos.bytes(file).count))
                #expect(reply.header("X-Repo-Commit")?.count == 40)
                let location = try #require(reply.header("Location"))
                #expect(location.hasPrefix(hub.cdnEndpoint + "/"))
                #expect(URL(string: location)?.host != URL(string: hub.endpoint)?.host)
                let cdn = try await RawHTTP.send("GET", location)
                #expect(cdn.status == 200)
                #expect(cdn.body == (try repos.bytes(file)))
                #expect(cdn.header("X-Repo-Commit") == nil)
                #expect(cdn.header("ETag") != "\"\(sha)\"")
            }
        }
    }

    @Test("a file below the LFS threshold without a weight extension stays a git file")
    func lfsRule() {
        #expect(GitObjects.isLFS(path: "a/model.safetensors", size: 10, threshold: 1 << 20))
        #expect(GitObjects.isLFS(path: "tokenizer.model", size: 10, threshold: 1 << 20))
        #expect(GitObjects.isLFS(path: "big.json", size: 1 << 20, threshold: 1 << 20))
        #expect(!GitObjects.isLFS(path: "config.json", size: 100, threshold: 1 << 20))
        #expect(!GitObjects.isLFS(path: "dir.bin/readme", size: 100, threshold: 1 << 20))
    }

    @Test("Range answers 206 with Content-Range, suffix ranges work, unsatisfiable ranges 416")
    func ranges() async throws {
        try await withStandardHub { hub, repos in
            let bytes = try repos.bytes("sub/a.txt")
            let url = hub.endpoint + "/org/tiny/resolve/main/sub/a.txt"
            let mid = try await RawHTTP.send("GET", url, headers: ["Range": "bytes=1-3"])
            #expect(mid.status == 206)
            #expect(mid.body == Array(bytes[1...3]))
            #expect(mid.header("Content-Range") == "bytes 1-3/6")
            #expect(mid.header("Content-Length") == "3")
            let open = try await RawHTTP.send("GET", url, headers: ["Range": "bytes=2-"])
            #expect(open.body == Array(bytes[2...]))
            let suffix = try await RawHTTP.send("GET", url, headers: ["Range": "bytes=-2"])
            #expect(suffix.body == Array(bytes[4...]))
            #expect(suffix.header("Content-Range") == "bytes 4-5/6")
            let past = try await RawHTTP.send("GET", url, headers: ["Range": "bytes=6-"])
            #expect(past.status == 416)
            #expect(past.header("Content-Range") == "bytes */6")
            let multi = try await RawHTTP.send("GET", url, headers: ["Range": "bytes=0-1,3-4"])
            #expect(multi.status == 200)
            #expect(multi.body == bytes)
            // On the CDN too.
            let head = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/weights.dat")
            let location = try #require(head.header("Location"))
            let cdn = try await RawHTTP.send("GET", location, headers: ["Range": "bytes=4000-"])
            #expect(cdn.status == 206)
            #expect(cdn.body == Array(try repos.bytes("weights.dat")[4000...]))
            #expect(cdn.header("Content-Range") == "bytes 4000-4999/5000")
            #expect(try await RawHTTP.send("GET", location, headers: ["Range": "bytes=5000-"]).status == 416)
        }
    }

    @Test("byte ranges are interpreted like S3: clamped, suffix, malformed ignored")
    func rangeParsing() {
        #expect(ByteRangeRequest(header: nil, size: 10) == .whole)
        #expect(ByteRangeRequest(header: "bytes=0-", size: 10) == .partial(0...9))
        #expect(ByteRangeRequest(header: "bytes=3-100", size: 10) == .partial(3...9))
        #expect(ByteRangeRequest(header: "bytes=-3", size: 10) == .partial(7...9))
        #expect(ByteRangeRequest(header: "bytes=-30", size: 10) == .partial(0...9))
        #expect(ByteRangeRequest(header: "bytes=10-", size: 10) == .unsatisfiable)
        #expect(ByteRangeRequest(header: "bytes=5-2", size: 10) == .whole)
        #expect(ByteRangeRequest(header: "items=0-1", size: 10) == .whole)
        #expect(ByteRangeRequest(header: "bytes=x-1", size: 10) == .whole)
        #expect(ByteRangeRequest(header: "bytes=0-", size: 0) == .unsatisfiable)
    }

    @Test("several ranged downloads of one large file run at once and reassemble the file")
    func concurrentRanges() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        let size = 6 << 20
        let disk = try fixture.addRandomFile("org/big", path: "model.safetensors", size: size, seed: 3)
        let hub = try await TestHub.start(repositories: fixture.root)
        defer { Task { await hub.stop() } }
        let head = try await RawHTTP.send("HEAD", hub.endpoint + "/org/big/resolve/main/model.safetensors")
        let location = try #require(head.header("Location"))
        let parts = 4
        let step = size / parts
        let pieces = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for i in 0..<parts {
                group.addTask {
                    let end = i == parts - 1 ? size - 1 : (i + 1) * step - 1
                    let reply = try await RawHTTP.send("GET", location, headers: ["Range": "bytes=\(i * step)-\(end)"], timeout: 60)
                    return (i, reply.body)
                }
            }
            var result = [[UInt8]](repeating: [], count: parts)
            for try await (i, body) in group { result[i] = body }
            return result
        }
        let whole = Array(try Data(contentsOf: URL(fileURLWithPath: disk)))
        #expect(pieces.flatMap { $0 } == whole)
        await hub.stop()
    }

    @Test("revisions: refs/pr/N encoded or not, tags, full and short commits, refs/heads/main")
    func revisions() async throws {
        try await withStandardHub { hub, repos in
            let prEncoded = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/refs%2Fpr%2F1/config.json")
            #expect(prEncoded.status == 200)
            #expect(text(prEncoded.body).contains("\"pr\":1"))
            let prPlain = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/refs/pr/1/config.json")
            #expect(prPlain.body == prEncoded.body)
            #expect(prPlain.header("X-Repo-Commit") == prEncoded.header("X-Repo-Commit"))
            // The PR holds only config.json.
            #expect(try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/refs%2Fpr%2F1/README.md").status == 404)

            let main = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/config.json")
            let commit = try #require(main.header("X-Repo-Commit"))
            #expect(commit != prEncoded.header("X-Repo-Commit"))
            for revision in ["v1.0", "refs%2Ftags%2Fv1.0", "refs%2Fheads%2Fmain", commit, String(commit.prefix(7))] {
                let reply = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/\(revision)/config.json")
                #expect(reply.status == 200, "revision \(revision)")
                #expect(reply.header("X-Repo-Commit") == commit, "revision \(revision)")
            }
        }
    }

    @Test("the commit is stable across restarts and changes when a file changes")
    func stableCommit() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        func commit() async throws -> String {
            let hub = try await repos.start()
            let reply = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/config.json")
            await hub.stop()
            return try #require(reply.header("X-Repo-Commit"))
        }
        let first = try await commit()
        #expect(try await commit() == first)
        try Data("changed\n".utf8).write(to: URL(fileURLWithPath: repos.path("sub/a.txt")))
        #expect(try await commit() != first)
    }

    @Test("errors carry the Hub's X-Error-Code and X-Error-Message")
    func errors() async throws {
        try await withStandardHub { hub, _ in
            let noEntry = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/missing.json")
            #expect(noEntry.status == 404)
            #expect(noEntry.header("X-Error-Code") == "EntryNotFound")
            #expect(noEntry.header("X-Error-Message") == "Entry not found")
            #expect(noEntry.header("X-Repo-Commit")?.count == 40)
            let noRev = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/nope/config.json")
            #expect(noRev.status == 404)
            #expect(noRev.header("X-Error-Code") == "RevisionNotFound")
            #expect(noRev.header("X-Error-Message") == "Invalid rev id: nope")
            let escape = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/..%2F..%2Fetc%2Fpasswd")
            #expect(escape.status == 404)
            #expect(escape.header("X-Error-Code") == "EntryNotFound")
            let settings = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/.hubkit-repo.json")
            #expect(settings.header("X-Error-Code") == "EntryNotFound")
            let revisionFolder = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny@refs_pr_1/resolve/main/config.json", headers: ["Authorization": "Bearer t"])
            #expect(revisionFolder.header("X-Error-Code") == "RepoNotFound")
            for url in ["/org/nope/resolve/main/config.json", "/api/models/org/nope"] {
                let anonymous = try await RawHTTP.send("GET", hub.endpoint + url)
                #expect(anonymous.status == 401)
                #expect(anonymous.header("X-Error-Code") == nil)
                #expect(anonymous.header("X-Error-Message") == "Invalid username or password.")
                let withToken = try await RawHTTP.send("GET", hub.endpoint + url, headers: ["Authorization": "Bearer hf_x"])
                #expect(withToken.status == 404)
                #expect(withToken.header("X-Error-Code") == "RepoNotFound")
            }
        }
    }

    @Test("CDN URLs are signed: a tampered signature gets 403 AccessDenied")
    func signedCDN() async throws {
        try await withStandardHub { hub, _ in
            let head = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/model.safetensors")
            let location = try #require(head.header("Location"))
            #expect(try await RawHTTP.send("GET", location).status == 200)
            let tampered = location.replacingOccurrences(of: "Nonce=", with: "Nonce=9")
            let forbidden = try await RawHTTP.send("GET", tampered)
            #expect(forbidden.status == 403)
            #expect(text(forbidden.body).contains("AccessDenied"))
            let unsigned = try await RawHTTP.send("GET", String(location.prefix { $0 != "?" }))
            #expect(unsigned.status == 403)
        }
    }

    @Test("a CDN URL past its Expires time gets 403 Request has expired")
    func expiredCDN() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        let hub = try await TestHub.start(configuration: HubServerConfiguration(
            source: .repositories(repos.root), lfsSizeThreshold: StandardRepos.lfsThreshold, cdnURLLifetime: -5
        ))
        let head = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/model.safetensors")
        let location = try #require(head.header("Location"))
        let expired = try await RawHTTP.send("GET", location)
        #expect(expired.status == 403)
        #expect(text(expired.body).contains("Request has expired"))
        await hub.stop()
    }
}

@Suite("resolve-cache redirects")
struct ResolveCacheTests {
    @Test("with resolveCacheRedirects a regular file answers a relative 307 whose target serves it with the Hub's headers")
    func redirect() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        let hub = try await TestHub.start(configuration: HubServerConfiguration(
            source: .repositories(repos.root), lfsSizeThreshold: StandardRepos.lfsThreshold, resolveCacheRedirects: true
        ))
        let first = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/sub/a.txt")
        #expect(first.status == 307)
        let blob = try await Subprocess.gitBlobID(repos.path("sub/a.txt"))
        #expect(first.header("X-Linked-Etag") == "\"\(blob)\"")
        let commit = try #require(first.header("X-Repo-Commit"))
        let location = try #require(first.header("Location"))
        #expect(location.hasPrefix("/api/resolve-cache/models/org/tiny/\(commit)/sub/a.txt"))
        let second = try await RawHTTP.send("GET", hub.endpoint + location)
        #expect(second.status == 200)
        #expect(second.body == (try repos.bytes("sub/a.txt")))
        #expect(second.header("ETag") == "\"\(blob)\"")
        #expect(second.header("X-Repo-Commit") == commit)
        // LFS files still go to the CDN.
        #expect(try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/model.safetensors").status == 302)

        let script = """
            import json, os
            from huggingface_hub import snapshot_download
            p = snapshot_download("org/tiny")
            print(json.dumps({"a": open(os.path.join(p, "sub/a.txt")).read()}))
            """
        let cache = FileManager.default.temporaryDirectory.path + "/hubkit-rc-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let output = try await Subprocess.python(script, environment: [
            "HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": cache, "HF_HUB_DISABLE_XET": "1", "HF_TOKEN": "",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        ])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("alpha"))
        #expect(hub.requests.contains { $0.path.hasPrefix("/api/resolve-cache/") && $0.status == 200 })
        await hub.stop()
    }
}
