import ArgumentParser
import Foundation
import Tokenization
import Verification

/// `hubkit logits`: the float32 logits of every position as a NumPy array, so hubkit's forward
/// pass can be compared with any other implementation.
struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Run the forward pass and write the logits of every position as a float32 .npy [tokens, vocab].",
        discussion: "MODEL is a .gguf file or a transformers model folder (config.json + safetensors). Exit codes: 0 ok, 1 failure, 64 usage."
    )

    @Argument(help: "A .gguf file or a model folder.")
    var model: String

    @Option(help: "Text file to tokenize (with the model's tokenizer.json).")
    var text: String?

    @Option(help: "Token ids, comma-separated, instead of text.")
    var ids: String?

    @Option(help: "tokenizer.json to use (default: the model folder's, or the one beside the .gguf).")
    var tokenizer: String?

    @Option(name: .shortAndLong, help: "Output .npy path.")
    var output: String?

    @Flag(help: "Time the forward pass without writing the logits (for benchmarks).")
    var discard = false

    @Option(help: "Use at most this many tokens.")
    var maxTokens: Int = 512

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard (text == nil) != (ids == nil) else { throw ValidationError("give exactly one of --text FILE or --ids 1,2,3") }
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        guard (output == nil) == discard else { throw ValidationError("give -o FILE (or --discard to only time the pass)") }
    }

    func run() throws {
        let weights = try ModelWeights.open(model)
        var tokens: [Int]
        if let ids {
            tokens = try ids.split(separator: ",").map { s in
                guard let v = Int(s.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--ids: \(s) is not an integer") }
                return v
            }
        } else {
            let tok = try Tokenizer(contentsOf: try tokenizerPath())
            tokens = tok.encode(try readText(text!))
        }
        tokens = Array(tokens.prefix(maxTokens))
        let forward = try LlamaForward(weights: weights)
        let start = Date()
        let result = try forward.run(tokens, options: ForwardOptions(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount))
        let seconds = Date().timeIntervalSince(start)
        if let output { try NPYArray(shape: [result.tokens, result.vocabSize], values: result.logits).write(to: output) }
        FileHandle.standardError.write(Data(String(format: "logits: %d tokens × %d vocab → %@ (%.3f s, %.1f tokens/s)\n",
                                                   result.tokens, result.vocabSize, output ?? "(discarded)", seconds, Double(result.tokens) / seconds).utf8))
    }

    func tokenizerPath() throws -> String {
        if let tokenizer { return tokenizer }
        let dir = model.hasSuffix(".gguf") ? (model as NSString).deletingLastPathComponent : model
        let candidate = (dir.isEmpty ? "." : dir) + "/tokenizer.json"
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        // A converted file names its source: use that snapshot's tokenizer from the HF cache.
        if model.hasSuffix(".gguf"), let gguf = try? GGUFWeights(path: model), let repo = gguf.provenance.repo,
           let folder = try? cachedSnapshotFolder(repo: repo, commit: gguf.provenance.commit),
           FileManager.default.fileExists(atPath: folder + "/tokenizer.json") {
            return folder + "/tokenizer.json"
        }
        throw ValidationError("no tokenizer.json beside \(model) or in its source snapshot; pass --tokenizer FILE or --ids")
    }
}

/// Reads a text file as UTF-8, with a message that says which file could not be read.
func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read text file \(path)") }
    return String(decoding: data, as: UTF8.self)
}
