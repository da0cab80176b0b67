import Foundation

/// A Hub access token. Its `description` is redacted, so printing, logging or interpolating it
/// never reveals the secret; only ``HTTPClient`` reads ``secret`` to build the `Authorization` header.
public struct HubToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself. Do not print it.
    public let secret: String
    /// Where it came from (`--token`, `HF_TOKEN`, a file path…), safe to show.
    public let source: String

    public init(_ secret: String, source: String) {
        self.secret = secret
        self.source = source
    }

    /// `hf_…(redacted, from HF_TOKEN)`: never the secret.
    public var description: String { "<token from \(source), redacted>" }
    public var debugDescription: String { description }
}

/// Finds the token the way the Hub CLI does, first match wins:
/// `--token` > `HF_TOKEN` > `HUGGING_FACE_HUB_TOKEN` > the file at `HF_TOKEN_PATH` > `$HF_HOME/token`.
/// A token file is plain text; `\r`, `\n` and spaces are stripped and an empty file means no token.
public enum TokenProvider {
    /// The token to send, or nil for anonymous requests.
    public static func token(explicit: String?, environment: HubEnvironment) -> HubToken? {
        if let t = clean(explicit) { return HubToken(t, source: "--token") }
        for key in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] {
            if let t = clean(environment.variables[key]) { return HubToken(t, source: key) }
        }
        let path = clean(environment.variables["HF_TOKEN_PATH"]).map {
            HubEnvironment.expand($0, variables: environment.variables, home: environment.variables["HOME"] ?? NSHomeDirectory())
        } ?? environment.home + "/token"
        if let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8),
           let t = clean(text) {
            return HubToken(t, source: path)
        }
        return nil
    }

    private static func clean(_ text: String?) -> String? {
        guard let text else { return nil }
        let t = text.filter { $0 != "\r" && $0 != "\n" && $0 != " " && $0 != "\r\n" }
        return t.isEmpty ? nil : t
    }
}
