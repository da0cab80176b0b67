import Foundation
import HubServer
import Hummingbird

/// Why a faulty body ended early (the connection is closed when the body writer throws).
enum InjectedFault: Error {
    case dropped, stalled, expired
}

/// Applies a ``FaultPlan`` around the server's own answers.
enum FaultInjector {
    /// Request-side faults first (delay, status, ignore Range), then the server's answer, then
    /// body-side faults wrapped around its body.
    static func respond(
        to request: HubRequest, server: HubServer, plan: FaultPlan,
        next: @Sendable (HubRequest) async -> Response
    ) async -> Response {
        var request = request
        for action in plan.take(for: request, body: false) {
            switch action {
            case let .slowStart(seconds):
                await pause(seconds, server: server)
            case .ignoreRange:
                request.headers[.range] = nil
            case let .status(code):
                return errorResponse(status: code, extra: [:])
            case let .rateLimit(seconds):
                return errorResponse(status: 429, extra: ["Retry-After": String(seconds)])
            case let .rateLimitWindow(seconds, limit):
                return errorResponse(status: 429, extra: [
                    "RateLimit": "\"api\";r=0;t=\(seconds)",
                    "RateLimit-Policy": "\"fixed window\";\"api\";q=\(limit);w=300",
                ])
            default:
                break
            }
        }
        var response = await next(request)
        let hasBody = request.method != .head && (response.body.contentLength ?? 1) > 0
            && (response.status == .ok || response.status == .partialContent)
        guard hasBody else { return response }
        let actions = plan.take(for: request, body: true)
        guard !actions.isEmpty else { return response }
        let start = rangeStart(response.headers[.contentRange])
        let signature = request.queryItems["Signature"]
        let original = response.body
        response.body = ResponseBody(contentLength: original.contentLength) { writer in
            let faulty = FaultyBodyWriter(
                inner: writer, actions: actions, fileOffset: start, server: server, signature: signature
            )
            try await original.write(faulty)
        }
        return response
    }

    static func errorResponse(status: Int, extra: [String: String]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        for (name, value) in extra {
            if let field = HTTPFields.Element.Name(name) { headers[field] = value }
        }
        let body = ByteBuffer(string: "{\"error\":\"injected fault: HTTP \(status)\"}")
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: .init(byteBuffer: body))
    }

    /// Sleeps up to `seconds`, ending early when the hub stops or the task is cancelled.
    static func pause(_ seconds: Double, server: HubServer) async {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end, !server.isStopping, !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(min(0.05, max(0.001, end.timeIntervalSinceNow)) * 1e9))
        }
    }

    /// The first byte offset of a `Content-Range: bytes a-b/n` header (0 without one).
    static func rangeStart(_ header: String?) -> Int64 {
        guard let header, header.hasPrefix("bytes "), let dash = header.firstIndex(of: "-") else { return 0 }
        return Int64(header[header.index(header.startIndex, offsetBy: 6)..<dash]) ?? 0
    }
}

/// Passes body bytes through, corrupting, cutting or stalling them as the faults say.
struct FaultyBodyWriter: ResponseBodyWriter {
    var inner: any ResponseBodyWriter
    let actions: [FaultAction]
    /// File offset of the first body byte (from `Content-Range`).
    let fileOffset: Int64
    let server: HubServer
    let signature: String?
    var sent = 0

    init(inner: any ResponseBodyWriter, actions: [FaultAction], fileOffset: Int64, server: HubServer, signature: String?) {
        self.inner = inner
        self.actions = actions
        self.fileOffset = fileOffset
        self.server = server
        self.signature = signature
    }

    /// Bytes per second of a throttle fault, if any (the slowest wins).
    private var throttleRate: Int? {
        actions.compactMap { action -> Int? in
            if case let .throttle(rate) = action { return max(1, rate) }
            return nil
        }.min()
    }

    /// The earliest byte count at which the body is cut, and how.
    private var cut: (bytes: Int, action: FaultAction)? {
        actions.compactMap { action -> (Int, FaultAction)? in
            switch action {
            case let .dropConnection(n), let .stall(n, _), let .expireCDNURL(n): return (max(0, n), action)
            default: return nil
            }
        }.min { $0.0 < $1.0 }
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        let start = fileOffset + Int64(sent)
        for case let .corruptByte(offset) in actions where offset >= start && offset < start + Int64(buffer.readableBytes) {
            let index = buffer.readerIndex + Int(offset - start)
            if let byte = buffer.getInteger(at: index, as: UInt8.self) { buffer.setInteger(~byte, at: index) }
        }
        if let rate = throttleRate {
            // Slices of ~1/20 s worth of bytes, each followed by its share of the time.
            let slice = max(1, rate / 20)
            while buffer.readableBytes > slice, cut.map({ sent + slice < $0.bytes }) ?? true {
                guard let part = buffer.readSlice(length: slice) else { break }
                try await inner.write(part)
                sent += part.readableBytes
                try await Task.sleep(nanoseconds: UInt64(Double(slice) / Double(rate) * 1e9))
            }
        }
        if let cut, sent + buffer.readableBytes >= cut.bytes {
            if let head = buffer.readSlice(length: cut.bytes - sent), head.readableBytes > 0 {
                try await inner.write(head)
                sent += head.readableBytes
            }
            try await end(with: cut.action)
        }
        sent += buffer.readableBytes
        try await inner.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        if let cut, sent >= cut.bytes { try await end(with: cut.action) }
        try await inner.finish(trailingHeaders)
    }

    /// Lets the bytes already written reach the socket, then closes the connection (by throwing).
    private func end(with action: FaultAction) async throws -> Never {
        switch action {
        case let .stall(_, seconds):
            await FaultInjector.pause(seconds, server: server)
            throw InjectedFault.stalled
        case .expireCDNURL:
            if let signature { server.revokeCDNSignature(signature) }
            try? await Task.sleep(nanoseconds: 100_000_000)
            throw InjectedFault.expired
        default:
            try? await Task.sleep(nanoseconds: 100_000_000)
            throw InjectedFault.dropped
        }
    }
}
