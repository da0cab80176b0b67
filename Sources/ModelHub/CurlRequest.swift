import CCurl
import Foundation

/// One HTTP exchange through a libcurl easy handle, never following redirects (callers decide
/// which redirects to follow and whether the token goes along). Blocking: run it on a thread of
/// its own, never on the Swift concurrency pool.
final class CurlRequest {
    enum Method: Sendable { case get, head }

    /// Why a request produced no complete response.
    enum Failure: Error, Sendable {
        /// libcurl failed (connection refused, reset, timeout…). `stalled`: no bytes for the stall time.
        case transport(code: Int32, message: String, stalled: Bool)
        /// The body sink asked to stop.
        case aborted
    }

    /// What came back: status, headers, and the body when it was not streamed to a sink.
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        /// Whether the body went to the sink.
        var streamed: Bool
    }

    private static let globalInit: Bool = { curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK }()

    /// Performs the request. `headers` are full header lines (`Name: value`). For 2xx responses
    /// `accept(status, headers)` decides whether the body streams into `sink` (return false to
    /// collect it instead); other bodies are collected in memory (up to 256 MiB).
    /// `sink` returns false to abort the transfer.
    static func perform(
        url: String, method: Method, headers: [String], options: HTTPOptions,
        handle: CurlHandle? = nil,
        accept: ((Int, HTTPHeaders) -> Bool)? = nil,
        sink: ((UnsafeRawBufferPointer) -> Bool)? = nil,
        tick: (() -> Bool)? = nil
    ) -> Result<Response, Failure> {
        _ = globalInit
        let owned = handle ?? CurlHandle()
        defer { withExtendedLifetime(owned) {} }  // the easy handle must outlive curl_easy_perform
        guard let h = owned.prepare() else {
            return .failure(.transport(code: -1, message: "curl_easy_init failed", stalled: false))
        }
        let ctx = Context(accept: accept, sink: sink, tick: tick)
        let unmanaged = Unmanaged.passRetained(ctx)
        defer { unmanaged.release() }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in headers { list = curl_slist_append(list, line) }
        defer { curl_slist_free_all(list) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { eb in
            hk_easy_setopt_str(h, CURLOPT_URL, url)
            hk_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1)
            hk_easy_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
            hk_easy_setopt_long(h, CURLOPT_BUFFERSIZE, options.bufferSize)
            hk_easy_setopt_long(h, CURLOPT_CONNECTTIMEOUT, options.connectTimeout)
            hk_easy_setopt_long(h, CURLOPT_LOW_SPEED_LIMIT, 1)
            hk_easy_setopt_long(h, CURLOPT_LOW_SPEED_TIME, options.stallTimeout)
            hk_easy_setopt_str(h, CURLOPT_USERAGENT, options.userAgent)
            hk_easy_setopt_ptr(h, CURLOPT_ERRORBUFFER, eb.baseAddress)
            if method == .head { hk_easy_setopt_long(h, CURLOPT_NOBODY, 1) }
            hk_easy_setopt_slist(h, CURLOPT_HTTPHEADER, list)
            hk_easy_setopt_ptr(h, CURLOPT_HEADERDATA, unmanaged.toOpaque())
            hk_easy_setopt_ptr(h, CURLOPT_WRITEDATA, unmanaged.toOpaque())
            hk_easy_setopt_header(h) { ptr, size, n, ud in
                guard let ptr, let ud else { return 0 }
                let ctx = Unmanaged<Context>.fromOpaque(ud).takeUnretainedValue()
                ctx.header(UnsafeRawBufferPointer(start: ptr, count: size * n))
                return size * n
            }
            hk_easy_setopt_write(h) { ptr, size, n, ud in
                guard let ptr, let ud else { return 0 }
                let ctx = Unmanaged<Context>.fromOpaque(ud).takeUnretainedValue()
                return ctx.body(UnsafeRawBufferPointer(start: ptr, count: size * n)) ? size * n : 0
            }
            if tick != nil {
                // Called about once a second even when no byte arrives (and after each read).
                hk_easy_setopt_long(h, CURLOPT_NOPROGRESS, 0)
                hk_easy_setopt_ptr(h, CURLOPT_XFERINFODATA, unmanaged.toOpaque())
                hk_easy_setopt_xferinfo(h) { ud, _, _, _, _ in
                    guard let ud else { return 0 }
                    let ctx = Unmanaged<Context>.fromOpaque(ud).takeUnretainedValue()
                    return ctx.tick?() == false ? 1 : 0
                }
            }
            return curl_easy_perform(h)
        }
        if ctx.aborted { return .failure(.aborted) }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return .failure(.transport(code: Int32(code.rawValue), message: message, stalled: code == CURLE_OPERATION_TIMEDOUT))
        }
        var status = 0
        hk_easy_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return .success(Response(status: status, headers: ctx.headers, body: ctx.collected, streamed: ctx.streaming))
    }

    /// Callback state; touched only by the thread running `curl_easy_perform`.
    private final class Context {
        let accept: ((Int, HTTPHeaders) -> Bool)?
        let sink: ((UnsafeRawBufferPointer) -> Bool)?
        let tick: (() -> Bool)?
        var status = 0
        var headers = HTTPHeaders()
        var decided = false
        var streaming = false
        var aborted = false
        var collected: [UInt8] = []
        static let limit = 256 << 20

        init(accept: ((Int, HTTPHeaders) -> Bool)?, sink: ((UnsafeRawBufferPointer) -> Bool)?, tick: (() -> Bool)?) {
            self.accept = accept
            self.sink = sink
            self.tick = tick
        }

        func header(_ raw: UnsafeRawBufferPointer) {
            let line = Substring(String(decoding: raw, as: UTF8.self))
            if line.hasPrefix("HTTP/") {
                // A new response (after 1xx or a proxy CONNECT): start over.
                headers = HTTPHeaders()
                let parts = line.split(separator: " ", maxSplits: 2)
                status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
                decided = false
            } else if !line.trimmingSpaces().isEmpty {
                headers.add(line: line)
            }
        }

        func body(_ data: UnsafeRawBufferPointer) -> Bool {
            if !decided {
                decided = true
                streaming = (200..<300).contains(status) && sink != nil && (accept?(status, headers) ?? true)
            }
            if streaming {
                if let sink, !sink(data) { aborted = true; return false }
                return true
            }
            if collected.count < Context.limit { collected.append(contentsOf: data.prefix(Context.limit - collected.count)) }
            return true
        }
    }
}

/// Network settings for all requests.
public struct HTTPOptions: Sendable {
    /// Seconds to wait for a connection.
    public var connectTimeout = 10
    /// A transfer with no bytes for this many seconds is a stall (aborted and retried).
    public var stallTimeout = 30
    /// For metadata requests (API calls, HEADs, ranged reads; not file transfers): the connect and
    /// stall timeouts instead of the two above (`HF_HUB_ETAG_TIMEOUT`). nil: the same as transfers.
    public var metadataTimeout: Int?
    /// Attempts after the first for retryable failures (5xx, 429, network errors, stalls).
    public var retries = 5
    /// First backoff pause in seconds; doubles each retry up to ``backoffCap``.
    public var backoffBase = 1.0
    /// Longest backoff pause in seconds.
    public var backoffCap = 8.0
    /// Longest `Retry-After` honoured, in seconds.
    public var retryAfterCap = 60.0
    /// libcurl receive buffer (`CURLOPT_BUFFERSIZE`); 1 MiB measured fastest.
    public var bufferSize = 1 << 20
    /// `User-Agent` header.
    public var userAgent = "hubkit/0.1; hf_hub/compatible"

    public init() {}

    /// The pause before retry number `attempt` (0-based).
    func backoff(attempt: Int) -> Double { min(backoffCap, backoffBase * pow(2, Double(attempt))) }
}

/// A libcurl easy handle kept across requests so its connection is reused (keep-alive):
/// one per worker thread, never shared between threads.
final class CurlHandle {
    private var raw: UnsafeMutableRawPointer?

    init() { raw = curl_easy_init() }

    /// The handle, reset to default options (live connections survive `curl_easy_reset`).
    func prepare() -> UnsafeMutableRawPointer? {
        guard let raw else { return nil }
        curl_easy_reset(raw)
        return raw
    }

    deinit { if let raw { curl_easy_cleanup(raw) } }
}
