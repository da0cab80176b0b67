import HubServer

/// What an injected fault does to a matching request or response.
public enum FaultAction: Sendable, Equatable {
    /// Answer with this status (503, 500, 502, …) and an empty JSON error instead of the real answer.
    case status(Int)
    /// Answer 429 with `Retry-After: <seconds>`.
    case rateLimit(retryAfterSeconds: Int)
    /// Send the head and `afterBytes` body bytes, then close the connection.
    case dropConnection(afterBytes: Int)
    /// Flip all bits of the byte at this offset of the file (an absolute offset: a ranged response
    /// is corrupted only if the range covers it).
    case corruptByte(atOffset: Int64)
    /// Remove the request's `Range` header, so the answer is 200 with the whole body.
    case ignoreRange
    /// Wait this long before answering (before the response head).
    case slowStart(seconds: Double)
    /// Send `afterBytes` body bytes, then nothing for `seconds` (or until the hub stops), then close.
    case stall(afterBytes: Int, seconds: Double)
    /// On the CDN: send `afterBytes` body bytes, make the signed URL expire (later requests with it
    /// get 403 "Request has expired"), then close. A re-resolved URL works again.
    case expireCDNURL(afterBytes: Int)
    /// Answer 429 with the IETF rate-limit headers the Hub sends, `RateLimit: "api";r=0;t=<seconds>`
    /// and `RateLimit-Policy: "fixed window";"api";q=<limit>;w=300`, and no `Retry-After`.
    case rateLimitWindow(resetSeconds: Int, limit: Int = 1000)
    /// Send the body at about this many bytes per second (in small slices), e.g. to kill a client
    /// mid-download or to watch its progress.
    case throttle(bytesPerSecond: Int)

    /// Faults that act on the response body; they are only used up by responses that have one.
    var actsOnBody: Bool {
        switch self {
        case .dropConnection, .corruptByte, .stall, .expireCDNURL, .throttle: return true
        case .status, .rateLimit, .rateLimitWindow, .ignoreRange, .slowStart: return false
        }
    }
}

/// A fault and the requests it applies to: method, listener, and a glob over the percent-decoded
/// path (`*` matches any run of characters, `/` included; `?` one character), used up after `times`
/// matching requests.
///
/// ```swift
/// hub.faults.add(FaultRule(.status(503), path: "*/config.json", times: 2))     // 503 twice, then OK
/// hub.faults.add(FaultRule(.dropConnection(afterBytes: 1000), path: "*model.safetensors", on: .cdn))
/// ```
public struct FaultRule: Sendable, Equatable {
    public var action: FaultAction
    /// Glob over the decoded path. CDN paths end with the file name (`/lfs/<sha256>/model.safetensors`),
    /// so `*model.safetensors` matches both the resolve URL and the CDN download.
    public var path: String
    /// `GET`, `HEAD`, …; nil for any.
    public var method: String?
    /// `.hub` or `.cdn`; nil for either.
    public var listener: HubListener?
    /// How many matching requests it affects; nil for every one.
    public var times: Int?

    public init(_ action: FaultAction, path: String = "*", method: String? = nil, on listener: HubListener? = nil, times: Int? = 1) {
        self.action = action
        self.path = path
        self.method = method
        self.listener = listener
        self.times = times
    }

    func matches(_ request: HubRequest) -> Bool {
        if let method, method.uppercased() != request.method.rawValue { return false }
        if let listener, listener != request.listener { return false }
        return Glob.matches(path, request.decodedPath)
    }
}

/// The faults a ``TestHub`` injects, changeable while it runs. Each rule counts the requests it
/// has affected, so "503 twice, then OK" is `FaultRule(.status(503), path: …, times: 2)`.
public final class FaultPlan: Sendable {
    private struct Entry {
        var rule: FaultRule
        var fired = 0
    }

    private let entries = Locked([Entry]())

    public init() {}

    /// Adds a rule; rules are tried in the order they were added, and every matching one applies.
    public func add(_ rule: FaultRule) {
        entries.withLock { $0.append(Entry(rule: rule)) }
    }

    /// Adds `FaultRule(action, path:, method:, on:, times:)`.
    public func add(_ action: FaultAction, path: String = "*", method: String? = nil, on listener: HubListener? = nil, times: Int? = 1) {
        add(FaultRule(action, path: path, method: method, on: listener, times: times))
    }

    /// Removes every rule.
    public func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    /// How many requests each rule has affected so far, in the order the rules were added.
    public var firedCounts: [Int] { entries.withLock { $0.map(\.fired) } }

    /// Rules whose uses are not yet all spent.
    public var pendingRules: [FaultRule] {
        entries.withLock { $0.filter { entry in entry.rule.times.map { entry.fired < $0 } ?? true }.map(\.rule) }
    }

    /// Takes the matching faults of one phase (request-side or body-side), counting them as used.
    func take(for request: HubRequest, body: Bool) -> [FaultAction] {
        entries.withLock { entries in
            var actions: [FaultAction] = []
            for index in entries.indices {
                let rule = entries[index].rule
                guard rule.action.actsOnBody == body, rule.matches(request) else { continue }
                if let limit = rule.times, entries[index].fired >= limit { continue }
                entries[index].fired += 1
                actions.append(rule.action)
            }
            return actions
        }
    }
}

/// Shell-style glob where `*` also crosses `/`.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        let t = Array(text.unicodeScalars)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
