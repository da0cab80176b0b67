import ArgumentParser
import TensorCore

/// The `hubkit` command: download, convert and verify Hugging Face models.
@main
struct HubKit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hubkit",
        abstract: "Download a model from the Hugging Face Hub, convert it to GGUF, and verify it.",
        version: HubKitVersion.string,
        subcommands: [
            DownloadCommand.self, ResolveCommand.self, CacheCommand.self, ServeCommand.self,
            ConvertCommand.self, InspectCommand.self, VerifyCommand.self, LogitsCommand.self, DemoCommand.self, PullCommand.self,
        ]
    )

    /// Ctrl-C or `kill` removes the output files still being written, then ends the process.
    static func main() async {
        TemporaryFiles.removeOnInterrupt()
        await main(nil)
    }
}

/// The version stamped into provenance keys and the User-Agent.
enum HubKitVersion {
    static let string = "0.1.0"
}
