/// Why the server could not start or could not read what it serves.
public enum HubServerError: Error, Sendable, Equatable {
    /// The folder given to serve does not exist or is not a folder.
    case missingRoot(String)
    /// A listener could not be bound.
    case bindFailed(host: String, port: Int, reason: String)
    /// A `.hubkit-repo.json` settings file is not valid JSON of the documented shape.
    case invalidSettings(path: String, reason: String)
    /// A file could not be read while hashing or serving it.
    case unreadableFile(path: String, reason: String)
    /// A revision folder named in a settings file lies outside the served root.
    case revisionOutsideRoot(repo: String, revision: String, path: String)
}

extension HubServerError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .missingRoot(path):
            return "\(path) is not a folder; pass a folder of repositories (ns/name/...) or, with --cache, a huggingface_hub cache folder"
        case let .bindFailed(host, port, reason):
            return "cannot listen on \(host):\(port) (\(reason)); choose another --host/--port, or --port 0 for a free one"
        case let .invalidSettings(path, reason):
            return "\(path) is not a valid repository settings file (\(reason)); see docs/serve.md for its fields"
        case let .unreadableFile(path, reason):
            return "cannot read \(path) (\(reason)); check that the file exists and is readable"
        case let .revisionOutsideRoot(repo, revision, path):
            return "\(repo): revision \(revision) points at \(path), outside the served folder; use a folder beside the repository"
        }
    }
}
