import Foundation
import Testing
import TestSupport
@testable import ModelHub

/// The real `huggingface_hub` package (pinned in scripts/requirements-test.txt) as an independent checker.
@Suite("Interop with huggingface_hub")
struct InteropTests {
    static let pythonEnv = ["HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_TOKEN": ""]

    @Test("what hubkit downloads, huggingface_hub finds with HF_HUB_OFFLINE=1")
    func hubkitToPython() async throws {
        try await HubTestbed.run { bed in
            let result = try await bed.download(bed.request())
            let script = """
            import hashlib, huggingface_hub as h
            snap = h.snapshot_download("org/tiny")
            f = h.hf_hub_download("org/tiny", "model.safetensors")
            c = h.hf_hub_download("org/tiny", "sub/deep/notes.txt", revision="\(result.commit)")
            print(snap); print(f); print(hashlib.sha256(open(f, "rb").read()).hexdigest()); print(open(c).read().strip())
            """
            let out = try await Subprocess.python(script, environment: InteropTests.pythonEnv.merging([
                "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": bed.cache.path, "HF_ENDPOINT": "http://127.0.0.1:9",
            ]) { $1 })
            let lines = out.stdout.split(separator: "\n").map(String.init)
            #expect(out.status == 0, "\(out.stderr)")
            guard lines.count == 4 else { Issue.record("python said: \(out.stdout) \(out.stderr)"); return }
            #expect(lines[0] == result.path)
            #expect(lines[1] == result.path + "/model.safetensors")
            #expect(lines[2] == HubTestbed.sha256(try bed.served("model.safetensors")))
            #expect(lines[3] == "notes")
        }
    }

    @Test("a snapshot huggingface_hub downloaded is used by hubkit offline, without a request")
    func pythonToHubkit() async throws {
        try await HubTestbed.run { bed in
            let script = """
            import huggingface_hub as h
            print(h.snapshot_download("org/tiny", allow_patterns=["*.json", "*.safetensors"]))
            """
            let out = try await Subprocess.python(script, environment: InteropTests.pythonEnv.merging([
                "HF_HUB_CACHE": bed.cache.path, "HF_ENDPOINT": bed.hub.endpoint,
            ]) { $1 })
            #expect(out.status == 0, "\(out.stderr)")
            let snapshot = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            bed.hub.clearRequests()
            var offline = bed.request(["config.json", "model.safetensors"])
            offline.offline = true
            let result = try await bed.download(offline)
            #expect(result.path == snapshot)
            let commit = (snapshot as NSString).lastPathComponent
            let byCommit = try await bed.download(bed.request(["tokenizer.json", "model.safetensors"], revision: commit))
            #expect(byCommit.path == snapshot && byCommit.bytesDownloaded == 0)
            #expect(bed.hub.requests.isEmpty)
            let check = try HubCache(root: bed.cache.path).verify(HubTestbed.repo)
            #expect(check.checked == 3 && check.corrupt.isEmpty)
            // Online, hubkit completes the same snapshot with the files huggingface_hub skipped.
            let full = try await bed.download(bed.request())
            #expect(full.path == snapshot && full.files.filter { $0.status == "cached" }.count == 3)
        }
    }
}
