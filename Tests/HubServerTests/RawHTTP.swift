import Foundation

/// A deliberately small HTTP/1.1 client over a POSIX socket, so tests see exactly what the server
/// sent: no redirect following, no decompression, truncated bodies visible as such.
struct RawHTTP {
    struct Reply {
        let status: Int
        /// Header names lower-cased; repeated headers joined with ", ".
        let headers: [String: String]
        let body: [UInt8]
        /// Whether the body ended before `Content-Length` bytes arrived (connection closed early).
        let truncated: Bool
        /// Whether the server sent nothing for `timeout` seconds before the body was complete.
        var timedOut = false

        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    enum Failure: Error, CustomStringConvertible {
        case badURL(String), connect(String), timeout, malformed(String)
        var description: String {
            switch self {
            case let .badURL(u): return "bad URL \(u)"
            case let .connect(r): return "connect failed: \(r)"
            case .timeout: return "timed out"
            case let .malformed(r): return "malformed response: \(r)"
            }
        }
    }

    /// Sends one request (with `Connection: close`) and reads the whole answer, on a thread of its
    /// own so the blocking socket never holds a cooperative or GCD pool thread the server needs.
    static func send(_ method: String = "GET", _ url: String, headers: [String: String] = [:], body: [UInt8] = [], timeout: Double = 10) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try sendBlocking(method, url, headers: headers, body: body, timeout: timeout) })
            }
        }
    }

    static func sendBlocking(_ method: String = "GET", _ url: String, headers: [String: String] = [:], body: [UInt8] = [], timeout: Double = 10) throws -> Reply {
        guard let parsed = URLComponents(string: url), let host = parsed.host, let port = parsed.port else { throw Failure.badURL(url) }
        let target = parsed.percentEncodedPath.isEmpty ? "/" : parsed.percentEncodedPath + (parsed.percentEncodedQuery.map { "?" + $0 } ?? "")
        let fd = try connect(host: host == "localhost" ? "127.0.0.1" : host, port: port, timeout: timeout)
        defer { close(fd) }
        var request = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if !body.isEmpty { request += "Content-Length: \(body.count)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8) + body
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure.connect("send: \(String(cString: strerror(errno)))") }
            written += n
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var timedOut = false
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { data.append(contentsOf: buffer[0..<n]); continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { timedOut = true; break }
            if errno == ECONNRESET { break }
            throw Failure.connect("recv: \(String(cString: strerror(errno)))")
        }
        if timedOut && find([13, 10, 13, 10], in: data) == nil { throw Failure.timeout }
        var reply = try parse(data, method: method)
        reply.timedOut = timedOut
        return reply
    }

    private static func parse(_ data: [UInt8], method: String) throws -> Reply {
        guard let end = find([13, 10, 13, 10], in: data) else { throw Failure.malformed("no header end in \(data.count) bytes") }
        let head = String(decoding: data[0..<end], as: UTF8.self)
        let lines = head.split(whereSeparator: \.isNewline)
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1]) else { throw Failure.malformed(head) }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        var body = Array(data[(end + 4)...])
        var truncated = false
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try dechunk(body, truncated: &truncated)
        } else if method != "HEAD", let length = headers["content-length"].flatMap(Int.init) {
            truncated = body.count < length
            if body.count > length { body = Array(body[0..<length]) }
        }
        return Reply(status: status, headers: headers, body: method == "HEAD" ? [] : body, truncated: truncated)
    }

    private static func dechunk(_ data: [UInt8], truncated: inout Bool) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = find([13, 10], in: data, from: i) else { truncated = true; return out }
            let sizeText = String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw Failure.malformed("chunk size") }
            i = lineEnd + 2
            if size == 0 { return out }
            guard i + size <= data.count else { out += data[i...]; truncated = true; return out }
            out += data[i..<(i + size)]
            i += size + 2
        }
    }

    private static func find(_ needle: [UInt8], in data: [UInt8], from start: Int = 0) -> Int? {
        guard data.count >= needle.count, start <= data.count - needle.count else { return nil }
        for i in start...(data.count - needle.count) where data[i] == needle[0] && Array(data[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }

    private static func connect(host: String, port: Int, timeout: Double) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.connect("socket") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { close(fd); throw Failure.badURL(host) }
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw Failure.connect(String(cString: strerror(errno))) }
        return fd
    }
}
