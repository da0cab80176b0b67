import Foundation
import HubServer
import Testing
import TestSupport

@Suite("hubkit download / resolve / cache (CLI)")
struct DownloadCommandTests {
    @Test("piped: stdout is the snapshot path only, stderr stays empty; --json is one object")
    func output() async throws {
        try await CLITestbed.run { bed in
            let r = try await bed.hubkit(["download", "org/tiny", "--retry-wait", "0.05"])
            #expect(r.status == 0, "\(r.stderr)")
            let path = r.stdout.trimmingCharacters(in: .newlines)
            #expect(r.stdout == path + "\n" && r.stderr.isEmpty)
            #expect(path.hasPrefix(bed.cache + "/models--org--tiny/snapshots/"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path + "/model.safetensors")) == bed.served("model.safetensors"))
            let j = try await bed.hubkit(["download", "org/tiny", "config.json", "--json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
            #expect(object["path"] as? String == path && object["repo"] as? String == "org/tiny")
            #expect((object["files"] as? [[String: Any]])?.first?["status"] as? String == "cached")
            for key in ["commit", "revision", "totalBytes", "bytesToDownload", "bytesDownloaded", "dryRun", "offline", "seconds"] {
                #expect(object[key] != nil, "missing \(key)")
            }
            let dry = try await bed.hubkit(["download", "org/tiny", "--dry-run", "--cache-dir", bed.cache + "-other"])
            #expect(dry.status == 0 && dry.stderr.contains("to download"))
            #expect(!FileManager.default.fileExists(atPath: bed.cache + "-other"))  // a dry run writes nothing
        }
    }

    @Test("usage errors exit 64; Hub errors exit 1 with advice on stderr and never the token")
    func errors() async throws {
        try await CLITestbed.run { bed in
            let both = try await bed.hubkit(["download", "org/tiny", "--cache-dir", "/tmp/a", "--local-dir", "/tmp/b"])
            #expect(both.status == 64 && both.stderr.contains("cannot be combined"))
            let gated = try await bed.hubkit(["download", "org/gated", "config.json"], extraEnvironment: ["HF_TOKEN": "hf_wrong_secret_123"])
            #expect(gated.status == 1 && gated.stdout.isEmpty)
            #expect(gated.stderr.contains("gated") && gated.stderr.contains("accept its licence"))
            #expect(!gated.stderr.contains("hf_wrong_secret_123"))
            #expect(bed.hub.requests.contains { $0.authorization == "Bearer hf_wrong_secret_123" })
            let before = bed.hub.requests.count
            let offline = try await bed.hubkit(["download", "org/tiny", "--offline"])
            #expect(offline.status == 1 && offline.stderr.contains("offline mode") && bed.hub.requests.count == before)
            let hostile = try await bed.hubkit(["download", "org/tiny", "../../x"])
            #expect(hostile.status == 1 && hostile.stderr.contains("outside the snapshot"))
            let ok = try await bed.hubkit(["download", "org/gated", "config.json", "--token", "hf_right"])
            #expect(ok.status == 0)
        }
    }

    @Test("a killed download, restarted, fetches only what is missing")
    func killedAndResumed() async throws {
        try await CLITestbed.run { bed in
            bed.hub.faults.add(.stall(afterBytes: 3_000_000, seconds: 60), path: "*model.safetensors", on: .cdn, times: 1)
            let child = try DownloadChild(["download", "org/tiny", "model.safetensors", "--jobs", "1"], environment: bed.environment)
            let sha = CLITestbed.sha256(try bed.served("model.safetensors"))
            let record = bed.cache + "/models--org--tiny/blobs/" + sha + ".hubkit-partial.ranges"
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if let text = try? String(contentsOfFile: record, encoding: .utf8), text.contains("0 3000000") { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            child.kill()
            let killed = await child.wait()
            #expect(killed.status != 0)
            #expect(try String(contentsOfFile: record, encoding: .utf8).contains("0 3000000"))
            bed.hub.clearRequests()
            let again = try await bed.hubkit(["download", "org/tiny", "model.safetensors", "--json"])
            #expect(again.status == 0, "\(again.stderr)")
            let path = try #require((try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])?["path"] as? String)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path + "/model.safetensors")) == bed.served("model.safetensors"))
            #expect(bed.hub.requests.filter { $0.listener == .cdn }.compactMap(\.range) == ["bytes=3000000-\(CLITestbed.modelSize - 1)"])
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: bed.cache + "/models--org--tiny/blobs").filter { $0.contains(".") }
            #expect(leftovers.isEmpty)
        }
    }

    @Test("two hubkit processes downloading the same repository at once: one transfer, both succeed")
    func twoProcesses() async throws {
        try await CLITestbed.run { bed in
            bed.hub.faults.add(.slowStart(seconds: 0.5), path: "*model.safetensors", on: .cdn, times: nil)
            let a = try DownloadChild(["download", "org/tiny", "--jobs", "1"], environment: bed.environment)
            let b = try DownloadChild(["download", "org/tiny", "--jobs", "1"], environment: bed.environment)
            let (ra, rb) = (await a.wait(), await b.wait())
            #expect(ra.status == 0 && rb.status == 0, "\(ra.stderr) \(rb.stderr)")
            #expect(ra.stdout == rb.stdout)
            let path = ra.stdout.trimmingCharacters(in: .newlines)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path + "/model.safetensors")) == bed.served("model.safetensors"))
            #expect(bed.hub.requests.filter { $0.listener == .cdn && $0.method == "GET" }.count == 1)
            let verify = try await bed.hubkit(["cache", "verify", "org/tiny"])
            #expect(verify.status == 0 && verify.stdout.contains("3 blobs checked, 0 corrupt"))
        }
    }

    @Test("resolve prints a manifest that --manifest pins; cache ls, verify (exit 3 on corruption) and rm")
    func resolveAndCache() async throws {
        try await CLITestbed.run { bed in
            let manifestPath = bed.cache + "-manifest.json"
            defer { try? FileManager.default.removeItem(atPath: manifestPath) }
            let resolved = try await bed.hubkit(["resolve", "org/tiny", "--include", "*.json", "-o", manifestPath])
            #expect(resolved.status == 0, "\(resolved.stderr)")
            let m = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any])
            #expect((m["files"] as? [[String: Any]])?.compactMap { $0["path"] as? String } == ["config.json", "tokenizer.json"])
            let pinned = try await bed.hubkit(["download", "org/tiny", "--manifest", manifestPath, "--json"])
            #expect(pinned.status == 0, "\(pinned.stderr)")
            let result = try #require(try JSONSerialization.jsonObject(with: Data(pinned.stdout.utf8)) as? [String: Any])
            #expect(result["commit"] as? String == m["commit"] as? String && (result["files"] as? [Any])?.count == 2)
            #expect(try await bed.hubkit(["download", "org/tiny", "config.json"]).status == 0)  // writes refs/main
            let ls = try await bed.hubkit(["cache", "ls"])
            #expect(ls.stdout.contains("org/tiny") && ls.stdout.contains("main"))
            // Corrupt a blob: verify exits 3 and names it.
            let blobs = bed.cache + "/models--org--tiny/blobs/"
            let blob = try #require(try FileManager.default.contentsOfDirectory(atPath: blobs).first)
            try Data("tampered".utf8).write(to: URL(fileURLWithPath: blobs + blob))
            let verify = try await bed.hubkit(["cache", "verify", "org/tiny"])
            #expect(verify.status == 3 && verify.stdout.contains(blob))
            let rm = try await bed.hubkit(["cache", "rm", "org/tiny@main"])
            #expect(rm.status == 0 && !FileManager.default.fileExists(atPath: blobs + blob))
        }
    }
}
