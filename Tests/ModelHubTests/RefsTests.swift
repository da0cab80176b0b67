import Foundation
import HubServer
import Testing
import TestSupport
@testable import ModelHub

/// A repository shaped like stabilityai/StableBeluga2: `main` with `.bin` shards only, an older
/// pull request that only edits the README, the bot's safetensors conversion PR, and a newer PR
/// that adds safetensors without an index (not a conversion).
private func belugaLike(_ fixture: RepositoryFixture) throws {
    try fixture.addRepository("org/beluga", textFiles: [
        "config.json": "{\"architectures\":[\"LlamaForCausalLM\"]}",
        "pytorch_model-00001-of-00002.bin": "pickle 1", "pytorch_model-00002-of-00002.bin": "pickle 2",
        "pytorch_model.bin.index.json": "{}",
    ])
    try fixture.addRevision("org/beluga", "refs/pr/3", files: ["config.json": Array("{}".utf8), "README.md": Array("# readme\n".utf8)])
    try fixture.addRevision("org/beluga", "refs/pr/35", files: [
        "config.json": Array("{}".utf8), "model.safetensors.index.json": Array("{}".utf8),
        "model-00001-of-00002.safetensors": Array(repeating: 1, count: 64), "model-00002-of-00002.safetensors": Array(repeating: 2, count: 64),
    ])
    try fixture.addRevision("org/beluga", "refs/pr/40", files: ["config.json": Array("{}".utf8), "extra.safetensors": Array(repeating: 3, count: 16)])
    try fixture.addRepository("org/moved", textFiles: [:], settings: RepoSettings(movedTo: "org/beluga"))
}

@Suite("Refs API and conversion pull requests")
struct RefsTests {
    @Test("lists branches and pull requests with their commits")
    func listsRefs() async throws {
        try await HubTestbed.run(setup: belugaLike) { bed in
            let client = bed.client()
            let refs = try await HubClient.run { try client.refs(RepoID("org/beluga")!) }
            #expect(refs.branches.map(\.name) == ["main"])
            #expect(Set(refs.pullRequests.compactMap(\.pullRequestNumber)) == [3, 35, 40])
            #expect(refs.pullRequests.allSatisfy { CommitHash.isFull($0.targetCommit) })
            let noPRs = try await HubClient.run { try client.refs(RepoID("org/beluga")!, includePullRequests: false) }
            #expect(noPRs.pullRequests.isEmpty)
            #expect(bed.hub.requests.contains { $0.path.hasSuffix("/refs") && $0.query?.contains("include_prs=1") == true })
        }
    }

    @Test("finds the bot's safetensors PR, newest qualifying first, through a renamed repository")
    func findsConversion() async throws {
        try await HubTestbed.run(setup: belugaLike) { bed in
            let client = bed.client()
            for name in ["org/beluga", "org/moved"] {
                let pr = try await HubClient.run { try client.conversionPullRequest(RepoID(name)!) }
                #expect(pr?.revision == "refs/pr/35")
                #expect(pr?.manifest.files.contains { $0.path == "model-00002-of-00002.safetensors" } == true)
            }
            // refs/pr/40 (newer, safetensors but no index) was looked at and passed over.
            #expect(bed.hub.requests.contains { $0.decodedPath.contains("refs/pr/40") })
            #expect(WeightFormats(try await HubClient.run { try client.manifest(RepoID("org/beluga")!) }) ==
                    WeightFormats(Manifest(repo: RepoID("org/x")!, revision: "main", commit: String(repeating: "a", count: 40),
                                           files: [.init(path: "a.bin", size: 1, oid: "x", sha256: nil)])))
        }
    }

    @Test("no conversion PR: nil")
    func noConversion() async throws {
        try await HubTestbed.run { bed in
            let client = bed.client()
            let pr = try await HubClient.run { try client.conversionPullRequest(HubTestbed.repo) }
            #expect(pr == nil)  // org/tiny's refs/pr/1 only changes config.json
        }
    }

    @Test("ranged reads return exactly the bytes asked for, from the CDN, without the token")
    func rangedRead() async throws {
        try await HubTestbed.run(acceptedTokens: ["hf_ok"]) { bed in
            let client = bed.client(token: "hf_ok")
            let served = [UInt8](try bed.served("model.safetensors"))
            let head = try await HubClient.run { try client.read("model.safetensors", in: HubTestbed.repo, revision: "main", range: 0..<8) }
            #expect(head == Array(served[0..<8]))
            let middle = try await HubClient.run { try client.read("model.safetensors", in: HubTestbed.repo, revision: "main", range: 1000..<5000) }
            #expect(middle == Array(served[1000..<5000]))
            let cdn = bed.hub.requests.filter { $0.listener == .cdn }
            #expect(cdn.count == 2 && cdn.allSatisfy { $0.authorization == nil && $0.range != nil })
            // Past the end: 416 → a clear error.
            await #expect(throws: HubError.self) {
                try await HubClient.run { try client.read("model.safetensors", in: HubTestbed.repo, revision: "main",
                                                          range: Int64(HubTestbed.modelSize + 10)..<Int64(HubTestbed.modelSize + 20)) }
            }
        }
    }

    @Test("a server ignoring Range still gives the right bytes")
    func ignoredRange() async throws {
        try await HubTestbed.run { bed in
            bed.hub.faults.add(.ignoreRange, path: "*model.safetensors", on: .cdn, times: nil)
            let client = bed.client()
            let served = [UInt8](try bed.served("model.safetensors"))
            let got = try await HubClient.run { try client.read("model.safetensors", in: HubTestbed.repo, revision: "main", range: 10..<20) }
            #expect(got == Array(served[10..<20]))
        }
    }
}
