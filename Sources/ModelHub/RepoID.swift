/// The kind of a Hub repository; it decides URL prefixes and the cache folder prefix.
public enum RepoKind: String, Sendable, Codable, CaseIterable {
    case model, dataset, space

    /// Plural used in API paths (`/api/models/...`) and cache folders (`models--...`).
    public var plural: String { rawValue + "s" }

    /// Prefix of resolve URLs: none for models, `datasets/` or `spaces/` otherwise.
    public var resolvePrefix: String { self == .model ? "" : plural + "/" }
}

/// A validated Hub repository id, `namespace/name` (or a legacy single `name`).
///
/// Validation follows the Hub's rules closely enough to refuse anything that could escape a
/// folder or confuse a URL: letters, digits, `-`, `_`, `.`, no `..`, no leading/trailing `-`/`.`.
public struct RepoID: Hashable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    public let namespace: String?
    public let name: String
    public let kind: RepoKind

    public init?(_ description: String) { try? self.init(parsing: description) }

    /// Parses `namespace/name`; throws `HubError.invalidRepoID` with the reason.
    public init(parsing text: String, kind: RepoKind = .model) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 1 || parts.count == 2 else {
            throw HubError.invalidRepoID(text, reason: "expected namespace/name")
        }
        for part in parts {
            if let reason = RepoID.problem(with: part) { throw HubError.invalidRepoID(text, reason: reason) }
        }
        namespace = parts.count == 2 ? parts[0] : nil
        name = parts.last!
        self.kind = kind
    }

    private static func problem(with part: String) -> String? {
        if part.isEmpty { return "empty segment" }
        if part.count > 96 { return "a segment is longer than 96 characters" }
        if part.contains("..") || part.contains("--") { return "'..' and '--' are not allowed" }
        if part.hasPrefix("-") || part.hasPrefix(".") || part.hasSuffix("-") || part.hasSuffix(".") {
            return "a segment cannot start or end with '-' or '.'"
        }
        let allowed = part.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)
        }
        return allowed ? nil : "only letters, digits, '-', '_' and '.' are allowed"
    }

    /// `namespace/name` as the Hub spells it.
    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }

    /// Cache folder name: `models--namespace--name`.
    public var cacheFolderName: String {
        ([kind.plural] + (namespace.map { [$0] } ?? []) + [name]).joined(separator: "--")
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
