import Foundation
import HubServer
import Testing
import TestSupport

@Suite("Hub API")
struct APITests {
    @Test("model info lists siblings; with blobs=true sizes, blob ids and LFS sha256 too")
    func modelInfo() async throws {
        try await withStandardHub { hub, repos in
            let plain = try #require(try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny").body) as? [String: Any])
            #expect(plain["id"] as? String == "org/tiny")
            #expect(plain["private"] as? Bool == false)
            #expect(plain["gated"] as? Bool == false)
            let names = (plain["siblings"] as? [[String: Any]])?.compactMap { $0["rfilename"] as? String }
            #expect(names == ["README.md", "config.json", "model.safetensors", "sub/a.txt", "sub/deep/b.txt", "weights.dat"])
            #expect((plain["siblings"] as? [[String: Any]])?.first?["size"] == nil)

            let reply = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/revision/main?blobs=true")
            let info = try #require(try json(reply.body) as? [String: Any])
            #expect(info["sha"] as? String == plain["sha"] as? String)
            let siblings = try #require(info["siblings"] as? [[String: Any]])
            let config = try #require(siblings.first { $0["rfilename"] as? String == "config.json" })
            #expect(config["size"] as? Int == (try repos.bytes("config.json").count))
            #expect(config["blobId"] as? String == (try await Subprocess.gitBlobID(repos.path("config.json"))))
            #expect(config["lfs"] == nil)
            let model = try #require(siblings.first { $0["rfilename"] as? String == "model.safetensors" })
            let lfs = try #require(model["lfs"] as? [String: Any])
            #expect(lfs["sha256"] as? String == (try await Subprocess.sha256(repos.path("model.safetensors"))))
            #expect(lfs["size"] as? Int == 3000)
            // The blob id of an LFS file is the git id of its pointer file.
            let pointer = GitObjects.lfsPointer(sha256: lfs["sha256"] as? String ?? "", size: 3000)
            #expect(lfs["pointerSize"] as? Int == pointer.utf8.count)
            let pointerFile = repos.fixture.root + "/pointer"
            try pointer.write(toFile: pointerFile, atomically: true, encoding: .utf8)
            #expect(model["blobId"] as? String == (try await Subprocess.gitBlobID(pointerFile)))

            let pr = try #require(try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/revision/refs%2Fpr%2F1").body) as? [String: Any])
            #expect(pr["sha"] as? String != info["sha"] as? String)
            #expect((pr["siblings"] as? [[String: Any]])?.count == 1)
            let missing = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/revision/nope")
            #expect(missing.status == 404)
            #expect(missing.header("X-Error-Code") == "RevisionNotFound")
        }
    }

    @Test("the recursive tree is paginated with Link rel=next and the pages add up to every entry")
    func treePagination() async throws {
        try await withStandardHub(pageSize: 2) { hub, _ in
            var url: String? = hub.endpoint + "/api/models/org/tiny/tree/main?recursive=true"
            var entries: [[String: Any]] = []
            var pages = 0
            while let next = url, pages < 20 {
                let reply = try await RawHTTP.send("GET", next)
                #expect(reply.status == 200)
                let page = try #require(try json(reply.body) as? [[String: Any]])
                #expect(page.count <= 2)
                entries += page
                pages += 1
                url = reply.header("Link").flatMap { link in
                    guard link.hasSuffix("rel=\"next\""), let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">") else { return nil }
                    return String(link[link.index(after: open)..<close])
                }
            }
            #expect(pages == 4)
            let paths = entries.compactMap { $0["path"] as? String }
            #expect(paths == ["README.md", "config.json", "model.safetensors", "sub", "sub/a.txt", "sub/deep", "sub/deep/b.txt", "weights.dat"])
            let sub = try #require(entries.first { $0["path"] as? String == "sub" })
            #expect(sub["type"] as? String == "directory")
            let weights = try #require(entries.first { $0["path"] as? String == "weights.dat" })
            #expect((weights["lfs"] as? [String: Any])?["size"] as? Int == 5000)
            #expect(weights["size"] as? Int == 5000)
        }
    }

    @Test("a non-recursive tree lists one level; a sub-path lists that folder; a missing path is EntryNotFound")
    func treeLevels() async throws {
        try await withStandardHub { hub, _ in
            let top = try #require(try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/tree/main").body) as? [[String: Any]])
            #expect(top.compactMap { $0["path"] as? String } == ["README.md", "config.json", "model.safetensors", "sub", "weights.dat"])
            let sub = try #require(try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/tree/main/sub").body) as? [[String: Any]])
            #expect(sub.compactMap { $0["path"] as? String } == ["sub/a.txt", "sub/deep"])
            let pr = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/tree/refs%2Fpr%2F1?recursive=1")
            #expect((try json(pr.body) as? [[String: Any]])?.count == 1)
            let expanded = try #require(try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/tree/main?expand=true").body) as? [[String: Any]])
            #expect((expanded.first?["lastCommit"] as? [String: Any])?["id"] as? String != nil)
            let missing = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/tree/main/nope")
            #expect(missing.status == 404)
            #expect(missing.header("X-Error-Code") == "EntryNotFound")
        }
    }

    @Test("refs lists branches and tags, and pull requests only with include_prs")
    func refs() async throws {
        try await withStandardHub { hub, _ in
            let mainCommit = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/config.json").header("X-Repo-Commit")
            let prCommit = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/refs%2Fpr%2F1/config.json").header("X-Repo-Commit")
            let plain = try #require(try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/refs").body) as? [String: Any])
            let branches = try #require(plain["branches"] as? [[String: Any]])
            #expect(branches.count == 1)
            #expect(branches.first?["ref"] as? String == "refs/heads/main")
            #expect(branches.first?["targetCommit"] as? String == mainCommit)
            let tags = try #require(plain["tags"] as? [[String: Any]])
            #expect(tags.first?["name"] as? String == "v1.0")
            #expect(tags.first?["targetCommit"] as? String == mainCommit)
            #expect(plain["pullRequests"] == nil)
            let withPRs = try #require(try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/refs?include_prs=1").body) as? [String: Any])
            let prs = try #require(withPRs["pullRequests"] as? [[String: Any]])
            #expect(prs.first?["ref"] as? String == "refs/pr/1")
            #expect(prs.first?["targetCommit"] as? String == prCommit)
        }
    }

    @Test("paths-info answers the requested paths only")
    func pathsInfo() async throws {
        try await withStandardHub { hub, _ in
            let reply = try await RawHTTP.send(
                "POST", hub.endpoint + "/api/models/org/tiny/paths-info/main",
                headers: ["Content-Type": "application/x-www-form-urlencoded"],
                body: Array("paths=config.json&paths=sub&paths=nope&expand=false".utf8)
            )
            #expect(reply.status == 200)
            let entries = try #require(try json(reply.body) as? [[String: Any]])
            #expect(entries.compactMap { $0["path"] as? String } == ["config.json", "sub"])
            #expect(entries.last?["type"] as? String == "directory")
        }
    }

    @Test("unknown routes are 404 and datasets are not found")
    func unknownRoutes() async throws {
        try await withStandardHub { hub, _ in
            #expect(try await RawHTTP.send("GET", hub.endpoint + "/nothing/here").status == 404)
            #expect(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny/unknown").status == 404)
            let dataset = try await RawHTTP.send("GET", hub.endpoint + "/api/datasets/org/tiny", headers: ["Authorization": "Bearer x"])
            #expect(dataset.header("X-Error-Code") == "RepoNotFound")
            #expect(try await RawHTTP.send("DELETE", hub.endpoint + "/org/tiny/resolve/main/config.json").status == 405)
        }
    }
}
