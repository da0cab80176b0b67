import Foundation
import HubServer
import Testing
import TestSupport
@testable import ModelHub

@Suite("HubDownloader against a real server")
struct DownloadTests {
    @Test("downloads the default set into the huggingface_hub layout; the token never reaches the CDN")
    func layout() async throws {
        try await HubTestbed.run { bed in
            let result = try await bed.download(bed.request(), token: "hf_secret_token")
            let layout = CacheLayout(root: bed.cache.path)
            let repo = HubTestbed.repo
            #expect(CommitHash.isFull(result.commit))
            #expect(result.path == layout.snapshotFolder(repo, commit: result.commit))
            #expect(Set(result.files.map(\.path)) == ["config.json", "tokenizer.json", "README.md", "sub/deep/notes.txt", "model.safetensors"])
            // refs/main holds the commit without a newline.
            #expect(FileManager.default.contents(atPath: layout.refFile(repo, revision: "main")) == Data(result.commit.utf8))
            // Every snapshot file is a relative symlink to a blob named by its digest, with the served bytes.
            let model = try bed.served("model.safetensors")
            let modelLink = try FileManager.default.destinationOfSymbolicLink(atPath: result.path + "/model.safetensors")
            #expect(modelLink == "../../blobs/" + HubTestbed.sha256(model))
            let notes = try FileManager.default.destinationOfSymbolicLink(atPath: result.path + "/sub/deep/notes.txt")
            #expect(notes.hasPrefix("../../../../blobs/"))
            for f in result.files {
                #expect(try Data(contentsOf: URL(fileURLWithPath: result.path + "/" + f.path)) == bed.served(f.path))
            }
            #expect(bed.leftovers().isEmpty)
            #expect(FileManager.default.fileExists(atPath: layout.lockFile(repo, etag: HubTestbed.sha256(model))))
            // Token: on every Hub request, on no CDN request; the CDN was used, in several ranges.
            let requests = bed.hub.requests
            let cdn = requests.filter { $0.listener == .cdn }
            #expect(cdn.count >= 3)
            #expect(cdn.allSatisfy { $0.authorization == nil })
            #expect(requests.filter { $0.listener == .hub }.allSatisfy { $0.authorization == "Bearer hf_secret_token" })
            #expect(Set(cdn.compactMap(\.range)).count >= 3)
            // A second run fetches nothing.
            bed.hub.clearRequests()
            let again = try await bed.download(bed.request())
            #expect(again.bytesDownloaded == 0 && again.files.allSatisfy { $0.status == "cached" })
            #expect(!bed.hub.requests.contains { $0.path.contains("/resolve/") || $0.listener == .cdn })
        }
    }

    @Test("resolves tags, short commits and refs/pr/N; pages through the tree")
    func revisions() async throws {
        try await HubTestbed.run(pageSize: 2) { bed in
            let client = bed.client()
            let main = try await HubClient.run { try client.manifest(HubTestbed.repo) }
            #expect(main.files.count == 6)
            #expect(main.files.first { $0.path == "model.safetensors" }?.sha256 == HubTestbed.sha256(try bed.served("model.safetensors")))
            #expect(main.files.first { $0.path == "config.json" }?.sha256 == nil)
            #expect(bed.hub.requests.filter { $0.path.contains("/tree/") }.count >= 3)
            let tag = try await HubClient.run { try client.commit(of: HubTestbed.repo, revision: "v1.0") }
            let short = try await HubClient.run { try client.commit(of: HubTestbed.repo, revision: String(main.commit.prefix(7))) }
            #expect(tag == main.commit && short == main.commit)
            let pr = try await bed.download(bed.request(["config.json"], revision: "refs/pr/1"))
            #expect(pr.commit != main.commit)
            #expect(try String(contentsOfFile: pr.path + "/config.json", encoding: .utf8) == "{\"pr\":1}")
            #expect(bed.hub.requests.contains { $0.path.contains("refs%2Fpr%2F1") })
            let ref = CacheLayout(root: bed.cache.path).refFile(HubTestbed.repo, revision: "refs/pr/1")
            #expect(ref.hasSuffix("/refs/refs/pr/1") && FileManager.default.contents(atPath: ref) == Data(pr.commit.utf8))
        }
    }

    @Test("offline answers from the cache without a request, and says so when nothing is cached")
    func offline() async throws {
        try await HubTestbed.run { bed in
            var request = bed.request()
            request.offline = true
            await #expect(throws: HubError.offlineNotCached(repo: "org/tiny", revision: "main", cache: bed.cache.path)) {
                try await bed.download(request)
            }
            let online = try await bed.download(bed.request())
            bed.hub.clearRequests()
            let cached = try await bed.download(request)
            #expect(cached.path == online.path && cached.offline)
            var one = bed.request(["config.json"], revision: online.commit)
            let byCommit = try await bed.download(one)
            #expect(byCommit.path == online.path)
            one.files = ["missing.json"]
            one.offline = true
            await #expect(throws: HubError.offlineFileNotCached(repo: "org/tiny", revision: online.commit, path: "missing.json")) {
                try await bed.download(one)
            }
            #expect(bed.hub.requests.isEmpty)
        }
    }

    @Test("when the Hub cannot be reached, a cached snapshot answers (like huggingface_hub); with nothing cached the network error stands")
    func unreachable() async throws {
        try await HubTestbed.run { bed in
            let online = try await bed.download(bed.request(["config.json"]))
            var http = HubTestbed.fastHTTP
            http.retries = 0
            let closed = HubClient(endpoint: "http://127.0.0.1:9", token: nil, options: http)
            let fallback = try await HubClient.run { try HubDownloader(client: closed).download(bed.request(["config.json"])) }
            #expect(fallback.path == online.path && fallback.offline)
            let missing = bed.request(["tokenizer.json"])
            await #expect(throws: HubError.self) { try await HubClient.run { try HubDownloader(client: closed).download(missing) } }
            do { _ = try await HubClient.run { try HubDownloader(client: closed).download(missing) } } catch let e as HubError {
                #expect(e.isUnreachable, "\(e)")
            }
        }
    }

    @Test("explicit files, include/exclude, dry run and --local-dir")
    func selection() async throws {
        try await HubTestbed.run { bed in
            var r = bed.request()
            r.selection = FileSelection(include: ["*.json", "*.bin"], exclude: ["tok*"])
            r.dryRun = true
            let plan = try await bed.download(r)
            #expect(plan.files.map(\.path) == ["config.json", "pytorch_model.bin"] && plan.files.allSatisfy { $0.status == "planned" })
            #expect(plan.bytesToDownload == plan.totalBytes && plan.diskAvailable != nil)
            #expect(!FileManager.default.fileExists(atPath: plan.path))
            let local = try TempDir("local")
            defer { local.remove() }
            var l = bed.request(["sub/deep/notes.txt", "model.safetensors"])
            l.destination = .localDirectory(local.path)
            let done = try await bed.download(l)
            #expect(done.path == local.path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: local.path + "/model.safetensors")) == bed.served("model.safetensors"))
            let meta = try String(contentsOfFile: local.path + "/.cache/huggingface/download/model.safetensors.metadata", encoding: .utf8)
            #expect(meta.hasPrefix(done.commit + "\n" + HubTestbed.sha256(try bed.served("model.safetensors")) + "\n"))
            let again = try await bed.download(l)
            #expect(again.bytesDownloaded == 0 && again.files.allSatisfy { $0.status == "cached" })
        }
    }

    @Test("a pinned manifest downloads exactly its files and fails clearly once the Hub differs")
    func pinned() async throws {
        try await HubTestbed.run { bed in
            let client = bed.client()
            var manifest = try await HubClient.run { try client.manifest(HubTestbed.repo) }
            manifest.files = manifest.files.filter { $0.path == "config.json" || $0.path == "model.safetensors" }
            var r = bed.request()
            r.manifest = manifest
            r.revision = manifest.commit
            let result = try await bed.download(r)
            #expect(result.files.map(\.path) == ["config.json", "model.safetensors"] && result.commit == manifest.commit)
            var wrong = manifest
            wrong.files[1].sha256 = String(repeating: "0", count: 64)
            r.manifest = wrong
            await #expect(throws: HubError.self) { try await bed.download(r) }
            do { _ = try await bed.download(r) } catch let e as HubError {
                guard case let .manifestMismatch(_, path, _) = e else { Issue.record("got \(e)"); return }
                #expect(path == "model.safetensors")
            }
            // The repository changes on the Hub: its commit moves, the pinned one is gone.
            try "{\"changed\":true}".write(toFile: bed.fixture.folder("org/tiny") + "/config.json", atomically: true, encoding: .utf8)
            r.manifest = manifest
            do { _ = try await bed.download(r); Issue.record("expected a mismatch") } catch let e as HubError {
                guard case .manifestMismatch = e else { Issue.record("got \(e)"); return }
            }
        }
    }
}
