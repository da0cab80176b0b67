/// Everything that can go wrong between hubkit and a Hub, each with the context a user needs and
/// a message that says what to do next. Tokens never appear in these messages.
public enum HubError: Error, Sendable, Equatable {
    case invalidRepoID(String, reason: String)
    /// A path in a repository that would escape its snapshot folder (`../x`, `/abs`, `a//b`).
    case unsafePath(repo: String, path: String)
}

extension HubError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .invalidRepoID(text, reason):
            return "'\(text)' is not a valid repository id (\(reason)); write it as namespace/name, e.g. stabilityai/StableBeluga2"
        case let .unsafePath(repo, path):
            return "\(repo) lists a file named '\(path)', which would land outside the snapshot folder; refusing to download it"
        }
    }
}
