import Foundation

/// The optional per-repository settings file, `ROOT/ns/name/.hubkit-repo.json` (never served as a
/// repository file). Every field is optional; see docs/serve.md for examples.
///
/// ```json
/// { "access": "gated", "tokens": ["hf_secret"], "tags": {"v1.0": "main"},
///   "revisions": {"refs/pr/1": "../name@pr1", "dev": "../name@dev"} }
/// ```
public struct RepoSettings: Codable, Sendable, Equatable {
    /// Who may read the repository.
    public enum Access: String, Codable, Sendable {
        /// Anyone.
        case `public`
        /// API open to all; files need a token from `tokens` (401 GatedRepo without a token, 403 with
        /// another one), except README.md and .gitattributes, as on the Hub.
        case gated
        /// Invisible without a token from `tokens`: anonymous requests get 401 without
        /// `X-Error-Code`, other tokens 404 RepoNotFound, exactly like a missing repository.
        case `private`
    }

    /// `public` when absent.
    public var access: Access?
    /// Tokens (`Authorization: Bearer …`) that may read a gated or private repository.
    public var tokens: [String]?
    /// Every request answers 403 "Access to this resource is disabled."
    public var disabled: Bool?
    /// The repository was renamed: requests for this id get a relative 307 to the same URL with
    /// the new id (`ns/new-name`). The folder then needs no other file.
    public var movedTo: String?
    /// Tag name → the branch or `refs/pr/N` it points at (`{"v1.0": "main"}`).
    public var tags: [String: String]?
    /// Extra revision name (a branch such as `dev`, or `refs/pr/N`, or `refs/convert/NAME`) → the
    /// folder holding all its files, relative to the repository folder and inside the served root
    /// (`"../name@pr1"`; `@` keeps such folders from being mistaken for repositories).
    public var revisions: [String: String]?
    /// What model info reports in `gated` for a gated repo: "auto" or "manual" (default "manual").
    public var gatedMode: String?

    public init(
        access: Access? = nil, tokens: [String]? = nil, disabled: Bool? = nil, movedTo: String? = nil,
        tags: [String: String]? = nil, revisions: [String: String]? = nil, gatedMode: String? = nil
    ) {
        self.access = access
        self.tokens = tokens
        self.disabled = disabled
        self.movedTo = movedTo
        self.tags = tags
        self.revisions = revisions
        self.gatedMode = gatedMode
    }

    /// The file name inside a repository folder.
    public static let fileName = ".hubkit-repo.json"

    /// Reads the settings file in `folder`; no file means default settings.
    public static func load(folder: String) throws -> RepoSettings {
        let path = folder + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return RepoSettings() }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder().decode(RepoSettings.self, from: data)
        } catch let error as DecodingError {
            throw HubServerError.invalidSettings(path: path, reason: "\(error)")
        } catch {
            throw HubServerError.invalidSettings(path: path, reason: error.localizedDescription)
        }
    }
}
