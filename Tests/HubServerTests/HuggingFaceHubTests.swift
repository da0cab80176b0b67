import Foundation
import HubServer
import Testing
import TestSupport

/// The real `huggingface_hub` (pip, pinned in scripts/requirements-test.txt) against a TestHub:
/// proof of protocol compatibility that does not rely on hubkit's own client.
@Suite("huggingface_hub against the server")
struct HuggingFaceHubTests {
    /// Runs `script` with HF_ENDPOINT at `hub` and a fresh cache; returns its last stdout line as JSON.
    private func python(_ script: String, hub: TestHub, environment: [String: String] = [:]) async throws -> [String: Any] {
        let cache = FileManager.default.temporaryDirectory.path + "/hubkit-hfcache-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: cache) }
        var env = [
            "HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": cache, "HF_HOME": cache + "/home",
            "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "HF_TOKEN": "", "HF_HUB_ETAG_TIMEOUT": "20", "HF_HUB_DOWNLOAD_TIMEOUT": "20",
        ]
        env.merge(environment) { $1 }
        let prelude = """
            import json, os, sys, hashlib
            import huggingface_hub
            assert huggingface_hub.__version__ == "1.29.0", "expected huggingface_hub 1.29.0 (scripts/requirements-test.txt), found " + huggingface_hub.__version__
            from huggingface_hub import HfApi, snapshot_download, hf_hub_download, errors

            """
        let output = try await Subprocess.python(prelude + script, environment: env, timeout: 120)
        try #require(output.status == 0, "python failed (\(output.status)):\n\(output.stderr)")
        let last = output.stdout.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "stdout: \(output.stdout)")
    }

    @Test("snapshot_download fetches every file byte for byte, and verify_repo_checksums agrees with our ids")
    func snapshot() async throws {
        try await withStandardHub(pageSize: 2) { hub, repos in
            let result = try await python("""
                path = snapshot_download("org/tiny")
                src = os.environ["FIXTURE"]
                files = {}
                for dirpath, _, names in os.walk(path):
                    for name in names:
                        full = os.path.join(dirpath, name)
                        rel = os.path.relpath(full, path)
                        files[rel] = open(full, "rb").read() == open(os.path.join(src, rel), "rb").read()
                check = HfApi().verify_repo_checksums("org/tiny", cache_dir=os.environ["HF_HUB_CACHE"])
                tree = [e.path for e in HfApi().list_repo_tree("org/tiny", recursive=True)]
                print(json.dumps({"files": files, "commit": os.path.basename(path), "mismatches": len(check.mismatches),
                                  "missing": len(check.missing_paths), "checked": check.checked_count, "tree": tree}))
                """, hub: hub, environment: ["FIXTURE": repos.fixture.folder("org/tiny")])
            let files = try #require(result["files"] as? [String: Bool])
            #expect(files.keys.sorted() == ["README.md", "config.json", "model.safetensors", "sub/a.txt", "sub/deep/b.txt", "weights.dat"])
            #expect(files.values.allSatisfy { $0 })
            #expect(result["mismatches"] as? Int == 0)
            #expect(result["missing"] as? Int == 0)
            #expect(result["checked"] as? Int == 6)
            #expect((result["tree"] as? [String])?.count == 8)
            let commit = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/config.json").header("X-Repo-Commit")
            #expect(result["commit"] as? String == commit)
            // LFS bytes came from the CDN host, without a token.
            #expect(hub.requests.contains { $0.listener == .cdn && $0.decodedPath.hasSuffix("model.safetensors") })
        }
    }

    @Test("hf_hub_download with revision refs/pr/N gets the pull request's file and records its ref")
    func pullRequestRevision() async throws {
        try await withStandardHub { hub, _ in
            let result = try await python("""
                path = hf_hub_download("org/tiny", "config.json", revision="refs/pr/1")
                ref = os.path.join(os.environ["HF_HUB_CACHE"], "models--org--tiny", "refs", "refs", "pr", "1")
                print(json.dumps({"content": open(path).read(), "ref": open(ref).read(), "commit": path.split(os.sep)[-2]}))
                """, hub: hub)
            #expect((result["content"] as? String)?.contains("\"pr\":1") == true)
            #expect(result["ref"] as? String == result["commit"] as? String)
            #expect(hub.requests.contains { $0.path.contains("refs%2Fpr%2F1") })
        }
    }

    @Test("huggingface_hub maps our errors to its exceptions: gated, not found, revision, entry, disabled")
    func errorMapping() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        try repos.fixture.addRepository("org/gated", textFiles: ["config.json": "{}"], settings: RepoSettings(access: .gated, tokens: ["hf_good"]))
        try repos.fixture.addRepository("org/private", textFiles: ["config.json": "{}"], settings: RepoSettings(access: .private, tokens: ["hf_good"]))
        try repos.fixture.addRepository("org/off", textFiles: ["config.json": "{}"], settings: RepoSettings(disabled: true))
        let hub = try await repos.start()
        let result = try await python("""
            def kind(f):
                try:
                    f()
                    return "ok"
                except errors.HfHubHTTPError as e:
                    return f"{type(e).__name__} {e.response.status_code}"
                except Exception as e:
                    return type(e).__name__
            out = {
                "gated": kind(lambda: hf_hub_download("org/gated", "config.json")),
                "gated_other": kind(lambda: hf_hub_download("org/gated", "config.json", token="hf_other")),
                "gated_token": kind(lambda: hf_hub_download("org/gated", "config.json", token="hf_good")),
                "private": kind(lambda: hf_hub_download("org/private", "config.json")),
                "private_other": kind(lambda: hf_hub_download("org/private", "config.json", token="hf_other")),
                "private_token": kind(lambda: hf_hub_download("org/private", "config.json", token="hf_good")),
                "missing": kind(lambda: HfApi().model_info("org/nope", token="hf_other")),
                "revision": kind(lambda: hf_hub_download("org/tiny", "config.json", revision="nope")),
                "entry": kind(lambda: hf_hub_download("org/tiny", "nope.json")),
                "disabled": kind(lambda: HfApi().model_info("org/off")),
            }
            print(json.dumps(out))
            """, hub: hub)
        await hub.stop()
        #expect(result["gated"] as? String == "GatedRepoError 401")
        #expect(result["gated_other"] as? String == "GatedRepoError 403")
        #expect(result["gated_token"] as? String == "ok")
        // Anonymous 401 without X-Error-Code, as on the Hub. huggingface_hub turns it into
        // RepositoryNotFoundError only for https endpoints (its REPO_API_REGEX starts with https://),
        // so over plain http it stays a 401 HfHubHTTPError.
        #expect(result["private"] as? String == "HfHubHTTPError 401")
        #expect(result["private_other"] as? String == "RepositoryNotFoundError 404")
        #expect(result["private_token"] as? String == "ok")
        #expect(result["missing"] as? String == "RepositoryNotFoundError 404")
        #expect(result["revision"] as? String == "RevisionNotFoundError 404")
        #expect(result["entry"] as? String == "RemoteEntryNotFoundError 404")
        #expect(result["disabled"] as? String == "DisabledRepoError 403")
    }

    @Test("a renamed repo downloads through its relative redirect, keeping the token on the Hub only")
    func renamedAndToken() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        try repos.fixture.setSettings("org/old", RepoSettings(movedTo: "org/tiny"))
        let hub = try await repos.start()
        let result = try await python("""
            a = hf_hub_download("org/old", "config.json")
            b = hf_hub_download("org/old", "model.safetensors")
            print(json.dumps({"config": open(a).read(), "size": os.path.getsize(b)}))
            """, hub: hub, environment: ["HF_TOKEN": "hf_user_token"])
        await hub.stop()
        #expect((result["config"] as? String)?.contains("llama") == true)
        #expect(result["size"] as? Int == 3000)
        let log = hub.requests
        #expect(log.contains { $0.status == 307 && $0.decodedPath.hasPrefix("/org/old/") })
        #expect(log.filter { $0.listener == .hub }.allSatisfy { $0.authorization == "Bearer hf_user_token" })
        #expect(log.filter { $0.listener == .cdn }.allSatisfy { $0.authorization == nil })
        #expect(log.contains { $0.listener == .cdn })
    }

    @Test("huggingface_hub survives our faults: it retries a 503 on the metadata HEAD and resumes a dropped CDN transfer")
    func faultsAsSeenByTheClient() async throws {
        try await withStandardHub { hub, repos in
            hub.faults.add(.dropConnection(afterBytes: 1000), path: "*model.safetensors", on: .cdn)
            hub.faults.add(.status(503), path: "*/resolve/main/model.safetensors", method: "HEAD", times: 1)
            let result = try await python("""
                info = HfApi().model_info("org/tiny")
                path = hf_hub_download("org/tiny", "model.safetensors")
                print(json.dumps({"sha": info.sha, "same": open(path, "rb").read() == open(os.environ["SRC"], "rb").read()}))
                """, hub: hub, environment: ["SRC": repos.path("model.safetensors")])
            #expect(result["same"] as? Bool == true)
            #expect((result["sha"] as? String)?.count == 40)
            #expect(hub.faults.firedCounts == [1, 1])
            let cdn = hub.requests.filter { $0.listener == .cdn }
            #expect(cdn.count == 2)
            // huggingface_hub reads 10 MiB chunks: the 1000 bytes before the cut never reached its
            // file, so it asks again from 0 (no Range) rather than with bytes=1000-.
            #expect(cdn.last?.range == nil || cdn.last?.range == "bytes=1000-")
            #expect(cdn.first?.status == 200)
        }
    }

    @Test("a hub cache is served as a mirror: huggingface_hub downloads the same commits and bytes from it")
    func cacheMirror() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        let upstream = try await repos.start()
        let cache = FileManager.default.temporaryDirectory.path + "/hubkit-mirror-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: cache) }
        _ = try await python("""
            snapshot_download("org/tiny")
            hf_hub_download("org/tiny", "config.json", revision="refs/pr/1")
            print(json.dumps({}))
            """, hub: upstream, environment: ["HF_HUB_CACHE": cache])
        let upstreamInfo = try json(try await RawHTTP.send("GET", upstream.endpoint + "/api/models/org/tiny?blobs=true").body) as? [String: Any]
        await upstream.stop()

        let mirror = try await TestHub.start(cache: cache)
        let mirrorInfo = try json(try await RawHTTP.send("GET", mirror.endpoint + "/api/models/org/tiny?blobs=true").body) as? [String: Any]
        #expect(mirrorInfo?["sha"] as? String == upstreamInfo?["sha"] as? String)
        func ids(_ info: [String: Any]?) -> [String] {
            ((info?["siblings"] as? [[String: Any]]) ?? []).map { "\($0["rfilename"] ?? "") \($0["blobId"] ?? "") \($0["size"] ?? "")" }
        }
        #expect(ids(mirrorInfo) == ids(upstreamInfo))
        let result = try await python("""
            path = snapshot_download("org/tiny")
            pr = hf_hub_download("org/tiny", "config.json", revision="refs/pr/1")
            same = all(open(os.path.join(path, f), "rb").read() == open(os.path.join(os.environ["SRC"], f), "rb").read()
                       for f in ["config.json", "model.safetensors", "weights.dat", "sub/deep/b.txt"])
            refs = HfApi().list_repo_refs("org/tiny", include_pull_requests=True)
            print(json.dumps({"same": same, "pr": open(pr).read(), "prs": [r.ref for r in refs.pull_requests]}))
            """, hub: mirror, environment: ["SRC": repos.fixture.folder("org/tiny")])
        await mirror.stop()
        #expect(result["same"] as? Bool == true)
        #expect((result["pr"] as? String)?.contains("\"pr\":1") == true)
        #expect(result["prs"] as? [String] == ["refs/pr/1"])
    }
}
