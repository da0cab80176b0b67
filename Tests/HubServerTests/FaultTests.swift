import Foundation
import HubServer
import Testing
import TestSupport

@Suite("fault injection")
struct FaultTests {
    private func cdnLocation(_ hub: TestHub, _ file: String = "model.safetensors") async throws -> String {
        let head = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/" + file)
        return try #require(head.header("Location"))
    }

    @Test("503 twice, then OK; the rule counts what it affected")
    func statusTwice() async throws {
        try await withStandardHub { hub, repos in
            hub.faults.add(.status(503), path: "*/config.json", times: 2)
            let url = hub.endpoint + "/org/tiny/resolve/main/config.json"
            #expect(try await RawHTTP.send("GET", url).status == 503)
            #expect(try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/README.md").status == 200)
            #expect(try await RawHTTP.send("GET", url).status == 503)
            let ok = try await RawHTTP.send("GET", url)
            #expect(ok.status == 200)
            #expect(ok.body == (try repos.bytes("config.json")))
            #expect(hub.faults.firedCounts == [2])
            #expect(hub.faults.pendingRules.isEmpty)
            #expect(hub.requests.map(\.status) == [503, 200, 503, 200])
        }
    }

    @Test("500 on every API call while the rule has no limit")
    func statusForever() async throws {
        try await withStandardHub { hub, _ in
            hub.faults.add(.status(500), path: "/api/*", times: nil)
            for _ in 0..<3 {
                let reply = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny")
                #expect(reply.status == 500)
            }
            hub.faults.removeAll()
            let reply = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny")
            #expect(reply.status == 200)
        }
    }

    @Test("429 carries Retry-After")
    func rateLimit() async throws {
        try await withStandardHub { hub, _ in
            hub.faults.add(.rateLimit(retryAfterSeconds: 3), path: "*/resolve/*")
            let reply = try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/config.json")
            #expect(reply.status == 429)
            #expect(reply.header("Retry-After") == "3")
            #expect(try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/config.json").status == 200)
        }
    }

    @Test("429 with the IETF RateLimit headers and no Retry-After")
    func rateLimitWindow() async throws {
        try await withStandardHub { hub, _ in
            hub.faults.add(.rateLimitWindow(resetSeconds: 7, limit: 500), path: "/api/*")
            let reply = try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/tiny")
            #expect(reply.status == 429)
            #expect(reply.header("RateLimit") == "\"api\";r=0;t=7")
            #expect(reply.header("RateLimit-Policy") == "\"fixed window\";\"api\";q=500;w=300")
            #expect(reply.header("Retry-After") == nil)
        }
    }

    @Test("throttle sends the whole body, intact, at about the given rate")
    func throttle() async throws {
        try await withStandardHub { hub, repos in
            hub.faults.add(.throttle(bytesPerSecond: 6000), path: "*weights.dat", on: .cdn)
            let location = try await cdnLocation(hub, "weights.dat")
            let started = Date()
            let reply = try await RawHTTP.send("GET", location)
            let seconds = Date().timeIntervalSince(started)
            #expect(reply.body == (try repos.bytes("weights.dat")))
            #expect(seconds >= 0.7)  // 5000 bytes at 6000 B/s, less the last slice
            // Combined with a drop, the cut still comes after exactly N bytes.
            hub.faults.add(.throttle(bytesPerSecond: 20000), path: "*weights.dat", on: .cdn)
            hub.faults.add(.dropConnection(afterBytes: 2500), path: "*weights.dat", on: .cdn)
            let cut = try await RawHTTP.send("GET", location)
            #expect(cut.truncated)
            #expect(cut.body == Array(try repos.bytes("weights.dat")[0..<2500]))
        }
    }

    @Test("drop the connection after N bytes: exactly N body bytes arrive, then EOF")
    func drop() async throws {
        try await withStandardHub { hub, repos in
            hub.faults.add(.dropConnection(afterBytes: 1000), path: "*model.safetensors", on: .cdn)
            let location = try await cdnLocation(hub)
            let cut = try await RawHTTP.send("GET", location)
            #expect(cut.status == 200)
            #expect(cut.truncated)
            #expect(cut.body == Array(try repos.bytes("model.safetensors")[0..<1000]))
            let resumed = try await RawHTTP.send("GET", location, headers: ["Range": "bytes=1000-"])
            #expect(resumed.status == 206)
            #expect(cut.body + resumed.body == (try repos.bytes("model.safetensors")))
            // Body faults spare responses without a body (HEAD, 302) and wait for one that has it.
            hub.faults.add(.dropConnection(afterBytes: 0), path: "*/config.json")
            #expect(try await RawHTTP.send("HEAD", hub.endpoint + "/org/tiny/resolve/main/config.json").status == 200)
            let empty = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/config.json")
            #expect(empty.truncated)
            #expect(empty.body.isEmpty)
        }
    }

    @Test("corrupt one byte at a file offset, in whole and ranged answers alike")
    func corrupt() async throws {
        try await withStandardHub { hub, repos in
            let original = try repos.bytes("weights.dat")
            hub.faults.add(.corruptByte(atOffset: 4321), path: "*weights.dat", times: nil)
            let location = try await cdnLocation(hub, "weights.dat")
            let whole = try await RawHTTP.send("GET", location)
            #expect(whole.body.count == original.count)
            #expect(whole.body[4321] == ~original[4321])
            #expect(zip(whole.body, original).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset) == [4321])
            let ranged = try await RawHTTP.send("GET", location, headers: ["Range": "bytes=4000-"])
            #expect(ranged.body[321] == ~original[4321])
            let after = try await RawHTTP.send("GET", location, headers: ["Range": "bytes=4322-"])
            #expect(after.body == Array(original[4322...]))
        }
    }

    @Test("ignore Range: 200 with the whole body although a range was asked for")
    func ignoreRange() async throws {
        try await withStandardHub { hub, repos in
            hub.faults.add(.ignoreRange, path: "*model.safetensors", on: .cdn)
            let location = try await cdnLocation(hub)
            let reply = try await RawHTTP.send("GET", location, headers: ["Range": "bytes=100-"])
            #expect(reply.status == 200)
            #expect(reply.header("Content-Range") == nil)
            #expect(reply.body == (try repos.bytes("model.safetensors")))
            #expect(try await RawHTTP.send("GET", location, headers: ["Range": "bytes=100-"]).status == 206)
            #expect(hub.requests.last?.range == "bytes=100-")
        }
    }

    @Test("slow start delays the response head")
    func slowStart() async throws {
        try await withStandardHub { hub, _ in
            hub.faults.add(.slowStart(seconds: 0.6), path: "*/config.json", method: "GET")
            let url = hub.endpoint + "/org/tiny/resolve/main/config.json"
            let quick = try await RawHTTP.send("HEAD", url)
            #expect(quick.status == 200)
            #expect(hub.faults.firedCounts == [0])  // the rule is for GET only
            let start = Date()
            let slow = try await RawHTTP.send("GET", url)
            #expect(slow.status == 200)
            #expect(Date().timeIntervalSince(start) >= 0.6)
            #expect(hub.faults.firedCounts == [1])
            let log = hub.requests
            #expect(log.count == 2)
            #expect(log[1].receivedAt >= log[0].receivedAt)
            #expect(Date().timeIntervalSince(log[1].receivedAt) >= 0.6)  // stamped on arrival, before the delay
        }
    }

    @Test("a stall sends N bytes then nothing; stopping the hub ends it")
    func stall() async throws {
        let repos = try StandardRepos()
        defer { repos.remove() }
        let hub = try await repos.start()
        hub.faults.add(.stall(afterBytes: 700, seconds: 30), path: "*weights.dat", on: .cdn)
        let location = try await cdnLocation(hub, "weights.dat")
        let started = Date()
        let reply = try await RawHTTP.send("GET", location, timeout: 1)
        #expect(reply.timedOut)
        #expect(reply.body == Array(try repos.bytes("weights.dat")[0..<700]))
        #expect(Date().timeIntervalSince(started) < 10)
        let stopping = Date()
        await hub.stop()
        #expect(Date().timeIntervalSince(stopping) < 5)
    }

    @Test("a CDN URL expires mid-download: the cut URL then gets 403, a re-resolved one works")
    func cdnExpiry() async throws {
        try await withStandardHub { hub, repos in
            hub.faults.add(.expireCDNURL(afterBytes: 1200), path: "*model.safetensors", on: .cdn)
            let location = try await cdnLocation(hub)
            let cut = try await RawHTTP.send("GET", location)
            #expect(cut.truncated)
            #expect(cut.body.count == 1200)
            let again = try await RawHTTP.send("GET", location, headers: ["Range": "bytes=1200-"])
            #expect(again.status == 403)
            #expect(text(again.body).contains("Request has expired"))
            let fresh = try await cdnLocation(hub)
            #expect(fresh != location)
            let rest = try await RawHTTP.send("GET", fresh, headers: ["Range": "bytes=1200-"])
            #expect(rest.status == 206)
            #expect(cut.body + rest.body == (try repos.bytes("model.safetensors")))
        }
    }

    @Test("the request log records method, path, headers with Authorization, host and listener")
    func requestLog() async throws {
        try await withStandardHub { hub, _ in
            hub.faults.add(.status(503), path: "*/sub/*")
            _ = try await RawHTTP.send("GET", hub.endpoint + "/org/tiny/resolve/main/sub/a.txt", headers: ["Authorization": "Bearer hf_secret"])
            let location = try await cdnLocation(hub)
            _ = try await RawHTTP.send("GET", location, headers: ["Range": "bytes=0-9"])
            let log = hub.requests
            #expect(log.count == 3)
            #expect(log[0].method == "GET")
            #expect(log[0].decodedPath == "/org/tiny/resolve/main/sub/a.txt")
            #expect(log[0].authorization == "Bearer hf_secret")
            #expect(log[0].status == 503)
            #expect(log[0].listener == .hub)
            #expect(log[0].host == String(hub.endpoint.dropFirst("http://".count)))
            #expect(log[1].method == "HEAD")
            #expect(log[1].status == 302)
            #expect(log[2].listener == .cdn)
            #expect(log[2].authorization == nil)
            #expect(log[2].host == String(hub.cdnEndpoint.dropFirst("http://".count)))
            #expect(log[2].query?.contains("Signature=") == true)
            #expect(log[2].status == 206)
            hub.clearRequests()
            #expect(hub.requests.isEmpty)
        }
    }
}
