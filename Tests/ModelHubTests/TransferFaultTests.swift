import Foundation
import HubServer
import Testing
import TestSupport
@testable import ModelHub

@Suite("Transfers under injected faults")
struct TransferFaultTests {
    let model = ["model.safetensors"]

    func expectModel(_ bed: HubTestbed, _ result: DownloadResult) throws {
        #expect(try Data(contentsOf: URL(fileURLWithPath: result.path + "/model.safetensors")) == bed.served("model.safetensors"))
        #expect(bed.leftovers().isEmpty)
    }

    @Test("503 twice, then OK; 429 waits for Retry-After")
    func retries() async throws {
        try await HubTestbed.run { bed in
            bed.hub.faults.add(.status(503), path: "/api/*", times: 2)
            bed.hub.faults.add(.status(503), path: "*model.safetensors", on: .cdn, times: 2)
            bed.hub.faults.add(.rateLimit(retryAfterSeconds: 1), path: "*config.json", times: 1)
            let started = Date()
            let result = try await bed.download(bed.request(["config.json", "model.safetensors"]))
            try expectModel(bed, result)
            #expect(bed.hub.faults.pendingRules.isEmpty)
            #expect(Date().timeIntervalSince(started) >= 1.9)  // Retry-After 1 → wait 2 s, like huggingface_hub
            // 5xx for good: fails with the status after the retries.
            bed.hub.faults.add(.status(502), path: "/api/*", times: nil)
            await #expect(throws: HubError.self) { try await bed.download(bed.request(["README.md"])) }
        }
    }

    @Test("429 with the Hub's RateLimit header waits t+1 seconds before the next request, on the API and on files")
    func rateLimitWindow() async throws {
        try await HubTestbed.run { bed in
            bed.hub.faults.add(.rateLimitWindow(resetSeconds: 1), path: "/api/*", times: 1)
            bed.hub.faults.add(.rateLimit(retryAfterSeconds: 0), path: "*model.safetensors", on: .cdn, times: 1)
            try expectModel(bed, try await bed.download(bed.request(model)))
            let api = bed.hub.requests.filter { $0.path.hasPrefix("/api/") }
            let limited = try #require(api.firstIndex { $0.status == 429 })
            #expect(api.count > limited + 1)
            #expect(api[limited + 1].receivedAt.timeIntervalSince(api[limited].receivedAt) >= 1.9)
            let cdn = bed.hub.requests.filter { $0.listener == .cdn }
            let cdnLimited = try #require(cdn.firstIndex { $0.status == 429 })
            let retried = try #require(cdn[(cdnLimited + 1)...].first { $0.range == cdn[cdnLimited].range })
            #expect(retried.receivedAt.timeIntervalSince(cdn[cdnLimited].receivedAt) >= 0.9)  // Retry-After 0 → 1 s
        }
    }

    @Test("a dropped connection resumes from where it stopped, not from zero")
    func drop() async throws {
        try await HubTestbed.run { bed in
            bed.hub.faults.add(.dropConnection(afterBytes: 700_000), path: "*model.safetensors", on: .cdn, times: 2)
            let result = try await bed.download(bed.request(model))
            try expectModel(bed, result)
            #expect(result.bytesDownloaded == Int64(HubTestbed.modelSize))
            let ranges = bed.hub.requests.filter { $0.listener == .cdn }.compactMap(\.range)
            // Pieces start at multiples of 1 MiB; a resumed piece starts where its bytes stopped.
            let starts = ranges.compactMap { Int64($0.dropFirst(6).split(separator: "-")[0]) }
            #expect(starts.contains { $0 % (1 << 20) != 0 })
        }
    }

    @Test("a corrupted byte is caught by sha256, the data deleted and fetched again; persistent corruption fails naming the digests")
    func corrupt() async throws {
        try await HubTestbed.run { bed in
            bed.hub.faults.add(.corruptByte(atOffset: 1_234_567), path: "*model.safetensors", on: .cdn, times: 1)
            try expectModel(bed, try await bed.download(bed.request(model)))
            let sha = HubTestbed.sha256(try bed.served("model.safetensors"))
            try FileManager.default.removeItem(atPath: bed.cache.path + "/models--org--tiny")
            bed.hub.faults.add(.corruptByte(atOffset: 10), path: "*model.safetensors", on: .cdn, times: nil)
            do {
                _ = try await bed.download(bed.request(model))
                Issue.record("corruption went unnoticed")
            } catch let HubError.checksumMismatch(repo, path, algorithm, expected, actual) {
                #expect(repo == "org/tiny" && path == "model.safetensors" && algorithm == "sha256")
                #expect(expected == sha && actual != sha && actual.count == 64)
                #expect("\(HubError.checksumMismatch(repo: repo, path: path, algorithm: algorithm, expected: expected, actual: actual))".contains(actual))
            }
            #expect(bed.leftovers().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: bed.cache.path + "/models--org--tiny/blobs/" + sha))
        }
    }

    @Test("a range answered with 200 (Range ignored) restarts the file from zero")
    func ignoredRange() async throws {
        try await HubTestbed.run { bed in
            bed.hub.faults.add(.ignoreRange, path: "*model.safetensors", on: .cdn, times: 1)
            let result = try await bed.download(bed.request(model))
            try expectModel(bed, result)
            let cdn = bed.hub.requests.filter { $0.listener == .cdn }
            #expect(cdn.contains { $0.range == nil && $0.status == 200 })
        }
    }

    @Test("a stall (no bytes for the stall time) is aborted and resumed; a slow start is tolerated")
    func stall() async throws {
        try await HubTestbed.run { bed in
            var http = HubTestbed.fastHTTP
            http.stallTimeout = 1
            bed.hub.faults.add(.stall(afterBytes: 300_000, seconds: 20), path: "*model.safetensors", on: .cdn, times: 1)
            bed.hub.faults.add(.slowStart(seconds: 0.5), path: "*config.json", times: 1)
            let started = Date()
            let result = try await bed.download(bed.request(["config.json", "model.safetensors"]), http: http)
            try expectModel(bed, result)
            #expect(Date().timeIntervalSince(started) < 15)
            #expect(bed.hub.faults.pendingRules.isEmpty)
        }
    }

    @Test("HF_HUB_ETAG_TIMEOUT bounds metadata requests only: a Hub that answers the API late is a stall with it (the cache answers, as huggingface_hub does), tolerated without it")
    func metadataTimeout() async throws {
        try await HubTestbed.run { bed in
            let online = try await bed.download(bed.request(["config.json"]))
            let env = HubEnvironment(["HF_HUB_ETAG_TIMEOUT": "1", "HF_HUB_DOWNLOAD_TIMEOUT": "9"])
            #expect(env.etagTimeout == 1 && env.downloadTimeout == 9)
            #expect(HubEnvironment(["HF_HUB_ETAG_TIMEOUT": "0.2"]).etagTimeout == 1 && HubEnvironment(["HF_HUB_ETAG_TIMEOUT": "soon"]).etagTimeout == nil)
            var strict = HubTestbed.fastHTTP
            strict.stallTimeout = 30
            strict.retries = 1
            strict.metadataTimeout = env.etagTimeout
            bed.hub.faults.add(.slowStart(seconds: 4), path: "/api/models/*", times: nil)
            let strictClient = bed.client(http: strict)
            await #expect { try await HubClient.run { try strictClient.manifest(HubTestbed.repo) } } throws: { error in
                if case HubError.stalled(_, seconds: 1) = error { return true }
                return false
            }
            let fallback = try await HubClient.run { try HubDownloader(client: strictClient).download(bed.request(["config.json"])) }
            #expect(fallback.offline && fallback.path == online.path)
            // The same late API with only the transfer stall timeout (30 s): answered.
            var lenient = strict
            lenient.metadataTimeout = nil
            let lenientClient = bed.client(http: lenient)
            let manifest = try await HubClient.run { try lenientClient.manifest(HubTestbed.repo) }
            #expect(!manifest.files.isEmpty)
        }
    }

    @Test("a signed CDN URL that expires mid-file is re-resolved and the transfer goes on")
    func expiredURL() async throws {
        try await HubTestbed.run { bed in
            var single = TransferOptions()
            single.rangeThreshold = 1 << 30
            bed.hub.faults.add(.expireCDNURL(afterBytes: 1_000_000), path: "*model.safetensors", on: .cdn, times: 1)
            let result = try await bed.download(bed.request(model), transfer: single)
            try expectModel(bed, result)
            let cdn = bed.hub.requests.filter { $0.listener == .cdn }
            #expect(cdn.contains { $0.status == 403 })
            #expect(cdn.contains { $0.range?.hasPrefix("bytes=1000000-") == true && $0.status == 206 })
            #expect(bed.hub.requests.contains { $0.method == "HEAD" && $0.path.contains("model.safetensors") })
        }
    }

    @Test("a download that failed half-way resumes in the next run, fetching only what is missing")
    func resumeAcrossRuns() async throws {
        try await HubTestbed.run { bed in
            var noRetry = HubTestbed.fastHTTP
            noRetry.retries = 0
            var single = TransferOptions()
            single.rangeThreshold = 1 << 30
            bed.hub.faults.add(.dropConnection(afterBytes: 2_000_000), path: "*model.safetensors", on: .cdn, times: 1)
            await #expect(throws: HubError.self) { try await bed.download(bed.request(model), http: noRetry, transfer: single) }
            let sha = HubTestbed.sha256(try bed.served("model.safetensors"))
            let partial = bed.cache.path + "/models--org--tiny/blobs/" + sha + ".hubkit-partial"
            #expect(FileManager.default.fileExists(atPath: partial) && FileManager.default.fileExists(atPath: partial + ".ranges"))
            #expect(!FileManager.default.fileExists(atPath: bed.cache.path + "/models--org--tiny/blobs/" + sha))
            bed.hub.clearRequests()
            let result = try await bed.download(bed.request(model), transfer: single)
            try expectModel(bed, result)
            #expect(result.bytesDownloaded == Int64(HubTestbed.modelSize - 2_000_000))
            #expect(bed.hub.requests.filter { $0.listener == .cdn }.compactMap(\.range) == ["bytes=2000000-\(HubTestbed.modelSize - 1)"])
        }
    }

    @Test("two downloads of the same repository at once neither corrupt nor duplicate")
    func concurrent() async throws {
        try await HubTestbed.run { bed in
            bed.hub.faults.add(.slowStart(seconds: 0.3), path: "*model.safetensors", on: .cdn, times: nil)
            async let a = bed.download(bed.request())
            async let b = bed.download(bed.request())
            let (ra, rb) = try await (a, b)
            try expectModel(bed, ra)
            #expect(ra.path == rb.path)
            let total = ra.files.reduce(Int64(0)) { $0 + $1.size }
            #expect(ra.bytesDownloaded + rb.bytesDownloaded == total)
            let verify = try HubCache(root: bed.cache.path).verify(HubTestbed.repo)
            #expect(verify.checked == 5 && verify.corrupt.isEmpty)
        }
    }
}
