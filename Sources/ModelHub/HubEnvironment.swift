#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The settings huggingface_hub users already have in their environment, read the way
/// huggingface_hub reads them (see docs/download.md):
///
/// | variable | meaning |
/// |---|---|
/// | `HF_ENDPOINT` | Hub base URL, default `https://huggingface.co` (trailing `/` dropped) |
/// | `HF_HOME` | root for the token file and caches, default `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface` |
/// | `HF_HUB_CACHE` (legacy `HUGGINGFACE_HUB_CACHE`) | repo cache root, default `$HF_HOME/hub` |
/// | `HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, `HF_TOKEN_PATH` | token sources (see ``TokenProvider``) |
/// | `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) | `1/ON/YES/TRUE`: no HTTP, cache only |
/// | `NO_COLOR` | any non-empty value: no ANSI colours |
///
/// Proxy variables (`http_proxy`, `https_proxy`, `no_proxy`, …) are honoured by libcurl itself.
public struct HubEnvironment: Sendable {
    /// Hub base URL without a trailing slash.
    public var endpoint: String
    /// `HF_HOME`, with `~` and `$VAR` expanded.
    public var home: String
    /// The hub cache root.
    public var hubCache: String
    /// Whether the environment asks for offline mode.
    public var offline: Bool
    /// Whether colours are disabled (`NO_COLOR`).
    public var noColor: Bool
    /// `HF_HUB_ETAG_TIMEOUT`: seconds to wait for the Hub's answer to a metadata request (API
    /// calls, HEADs, ranged header reads); nil when unset or not a positive number.
    public var etagTimeout: Int?
    /// `HF_HUB_DOWNLOAD_TIMEOUT`: seconds to wait for bytes of a file transfer; nil when unset.
    public var downloadTimeout: Int?
    /// The raw variables, kept for token lookup.
    public let variables: [String: String]

    /// The default Hub endpoint.
    public static let defaultEndpoint = "https://huggingface.co"

    /// Reads the variables from `variables` (the process environment by default).
    public init(_ variables: [String: String] = ProcessInfo.processInfo.environment) {
        self.variables = variables
        func value(_ key: String) -> String? {
            guard let v = variables[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        var endpoint = value("HF_ENDPOINT") ?? HubEnvironment.defaultEndpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        let userHome = value("HOME") ?? NSHomeDirectory()
        let xdg = value("XDG_CACHE_HOME").map { HubEnvironment.expand($0, variables: variables, home: userHome) } ?? userHome + "/.cache"
        home = value("HF_HOME").map { HubEnvironment.expand($0, variables: variables, home: userHome) } ?? xdg + "/huggingface"
        hubCache = (value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE")).map {
            HubEnvironment.expand($0, variables: variables, home: userHome)
        } ?? home + "/hub"
        offline = HubEnvironment.isTrue(value("HF_HUB_OFFLINE")) || HubEnvironment.isTrue(value("TRANSFORMERS_OFFLINE"))
        noColor = value("NO_COLOR") != nil
        func seconds(_ key: String) -> Int? {
            guard let v = value(key).flatMap(Double.init), v.isFinite, v > 0 else { return nil }
            return max(1, Int(v.rounded(.up)))
        }
        etagTimeout = seconds("HF_HUB_ETAG_TIMEOUT")
        downloadTimeout = seconds("HF_HUB_DOWNLOAD_TIMEOUT")
    }

    /// huggingface_hub's truth test: `1`, `ON`, `YES`, `TRUE` in any case.
    public static func isTrue(_ text: String?) -> Bool {
        guard let t = text?.uppercased() else { return false }
        return ["1", "ON", "YES", "TRUE"].contains(t)
    }

    /// Expands a leading `~` and `$VAR` / `${VAR}` references (like Python's expanduser + expandvars;
    /// unknown variables are left as written).
    public static func expand(_ path: String, variables: [String: String], home: String) -> String {
        var text = path
        if text == "~" { text = home } else if text.hasPrefix("~/") { text = home + text.dropFirst(1) }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            guard c == "$" else { out.append(c); i = text.index(after: i); continue }
            var j = text.index(after: i)
            var name = ""
            var braced = false
            if j < text.endIndex, text[j] == "{" { braced = true; j = text.index(after: j) }
            while j < text.endIndex, text[j].isLetter || text[j].isNumber || text[j] == "_" { name.append(text[j]); j = text.index(after: j) }
            if braced { if j < text.endIndex, text[j] == "}" { j = text.index(after: j) } else { name = "" } }
            if !name.isEmpty, let v = variables[name] { out += v; i = j } else { out.append(c); i = text.index(after: i) }
        }
        return out
    }
}
