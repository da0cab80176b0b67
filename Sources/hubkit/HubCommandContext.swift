import ArgumentParser
import Foundation
import ModelHub

/// Options shared by the commands that talk to a Hub: token and cache root, read with the
/// environment the way huggingface_hub reads it.
struct HubConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Hub token (default: HF_TOKEN, HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, $HF_HOME/token).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("Seconds without a byte before a transfer counts as stalled and is retried (default: HF_HUB_DOWNLOAD_TIMEOUT, else 30; metadata requests: HF_HUB_ETAG_TIMEOUT when set).", valueName: "seconds"))
    var stallTimeout: Int?

    @Option(help: .hidden)
    var retryWait: Double = 1.0

    /// The environment, token and HTTP settings for these options.
    func context() -> HubCommandContext {
        let env = HubEnvironment()
        var http = HTTPOptions()
        http.stallTimeout = max(1, stallTimeout ?? env.downloadTimeout ?? 30)
        if let t = env.downloadTimeout { http.connectTimeout = t }
        http.metadataTimeout = env.etagTimeout
        http.backoffBase = max(0, retryWait)
        http.backoffCap = max(http.backoffBase, 8 * http.backoffBase)
        http.userAgent = "hubkit/\(HubKitVersion.string); hf_hub/compatible"
        let token = TokenProvider.token(explicit: token, environment: env)
        return HubCommandContext(environment: env, token: token, http: http)
    }
}

/// What a command needs to reach the Hub.
struct HubCommandContext {
    let environment: HubEnvironment
    let token: HubToken?
    let http: HTTPOptions

    var client: HubClient { HubClient(endpoint: environment.endpoint, token: token, options: http) }
}

/// Writes to stderr (messages and progress never go to stdout).
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Whether stderr is a terminal.
    static var isTerminal: Bool { isatty(2) == 1 }
}

/// Prints a hubkit error the same way in every command and exits 1 (3 for verification failures).
func reportFailure(_ error: Error) -> ExitCode {
    StandardError.write("hubkit: error: \(error)\n")
    return ExitCode.failure
}

/// Pretty JSON with sorted keys on stdout.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}
