/// Response headers with case-insensitive names; repeated headers are joined with `, `.
public struct HTTPHeaders: Sendable, Equatable {
    private var storage: [String: String] = [:]

    public init() {}

    /// The value of `name` (any case), nil when absent.
    public subscript(_ name: String) -> String? {
        get { storage[name.lowercased()] }
        set { storage[name.lowercased()] = newValue }
    }

    /// Adds one raw header line (`Name: value`); ignores anything without a colon.
    mutating func add(line: Substring) {
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingSpaces().lowercased()
        let value = String(line[line.index(after: colon)...].trimmingSpaces())
        if let old = storage[name] { storage[name] = old + ", " + value } else { storage[name] = value }
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f.isNewline { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l.isNewline { s.removeLast() }
        return s
    }
}

/// Strips the query and fragment from a URL for messages: signed CDN URLs carry credentials there.
public func displayURL(_ url: String) -> String {
    var s = Substring(url)
    if let q = s.firstIndex(where: { $0 == "?" || $0 == "#" }) { s = s[..<q] }
    return String(s)
}

/// Parts of an absolute URL this package needs for redirect decisions.
struct URLParts: Equatable {
    var scheme: String
    var authority: String  // host[:port], lower-cased
    var pathAndQuery: String

    init?(_ url: String) {
        guard let sep = url.range(of: "://") else { return nil }
        scheme = url[..<sep.lowerBound].lowercased()
        let rest = url[sep.upperBound...]
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        authority = rest[..<slash].lowercased()
        var pq = String(rest[slash...])
        if !pq.hasPrefix("/") { pq = "/" + pq }
        pathAndQuery = pq
        guard !authority.isEmpty else { return nil }
    }

    var origin: String { scheme + "://" + authority }

    /// Resolves a `Location` value against this URL: absolute, scheme-relative, absolute-path or relative-path.
    func resolve(_ location: String) -> String {
        if location.contains("://") { return location }
        if location.hasPrefix("//") { return scheme + ":" + location }
        if location.hasPrefix("/") { return origin + location }
        var base = pathAndQuery
        if let q = base.firstIndex(of: "?") { base = String(base[..<q]) }
        if let slash = base.lastIndex(of: "/") { base = String(base[...slash]) }
        return origin + base + location
    }
}

/// Percent-encoding as huggingface_hub does it.
public enum URLEncoding {
    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    /// Encodes every byte except unreserved ones; `keepSlash` keeps `/` (file paths), otherwise
    /// `/` becomes `%2F` (revisions: `refs/pr/1` → `refs%2Fpr%2F1`).
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for b in text.utf8 {
            if unreserved.contains(b) || (keepSlash && b == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
