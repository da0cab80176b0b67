import ArgumentParser
import Foundation
import ModelHub
import Tokenization
import Verification

/// `hubkit verify`: proves a converted GGUF right or wrong against its original safetensors.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare a converted GGUF with its original weights: per-tensor error, hidden-state drift, KL/top-1/perplexity, verdict.",
        discussion: """
        The reference is the model folder given by --reference (a folder, or a repo id in the Hugging Face cache), \
        else the repo and commit recorded in the file's provenance keys, looked up in the cache.
        Exit codes: 0 the file passed, 3 a check ran and found the file wrong, 1 verification could not run, 64 usage.
        """
    )

    @Argument(help: "The .gguf file to verify.")
    var model: String

    @Option(help: "The original model: a folder with config.json, safetensors and tokenizer.json, or a repo id in the HF cache.")
    var reference: String?

    @Option(help: "Text file to evaluate on (default: hubkit's built-in corpus).")
    var text: String?

    @Option(help: "Token ids (comma-separated) instead of text; the reference then needs no tokenizer.json.")
    var ids: String?

    @Option(help: "Use at most this many tokens of the text.")
    var maxTokens: Int = 512

    @Option(help: "Chunk length for perplexity/KL (llama-perplexity's -c).")
    var context: Int = 512

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    @Option(help: "Write a self-contained HTML report with charts.")
    var report: String?

    @Flag(help: "Do not read or write the reference cache.")
    var noCache = false

    @Flag(help: "Run each pass over the whole model instead of block by block (same report; keeps every weight page it read resident).")
    var noStream = false

    func validate() throws {
        guard text == nil || ids == nil else { throw ValidationError("give --text or --ids, not both") }
        guard maxTokens >= 4 else { throw ValidationError("--max-tokens must be at least 4") }
        guard context >= 4 else { throw ValidationError("--context must be at least 4") }
    }

    func run() throws {
        do {
            let result = try verify()
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try enc.encode(result), as: UTF8.self))
            } else {
                print(result.textTable())
            }
            if let report { try Data(result.html().utf8).write(to: URL(fileURLWithPath: report), options: .atomic) }
            if !result.passed { throw ExitCode(3) }
        } catch let e as ExitCode {
            throw e
        } catch let e as ValidationError {
            throw e
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    func verify() throws -> VerifyReport {
        let candidate = try GGUFWeights(path: model)
        let folder = try referenceFolder(candidate)
        let ref = try SafeTensorsWeights(folder: folder)
        let tokens: [Int]
        if let ids {
            tokens = try ids.split(separator: ",").map { s in
                guard let v = Int(s.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--ids: \(s) is not an integer") }
                return v
            }
        } else {
            let tokenizerPath = folder + "/tokenizer.json"
            guard FileManager.default.fileExists(atPath: tokenizerPath) else {
                throw VerificationError.noReference("\(folder) has no tokenizer.json to encode the text with (pass --ids)")
            }
            tokens = try Tokenizer(contentsOf: tokenizerPath).encode(try text.map(readText) ?? DefaultCorpus.text)
        }
        var options = VerifyOptions()
        options.maxTokens = maxTokens
        options.contextSize = context
        options.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        options.cache = noCache ? nil : ReferenceCache()
        options.streamLayers = !noStream
        options.referenceIdentity = referenceIdentity(folder)
        // llama-perplexity puts BOS at every chunk start when the tokenizer adds one.
        if let bos = ref.config.bosTokenID, tokens.first == bos { options.bosTokenID = bos }
        let quiet = json
        return try Verifier.verify(candidate: candidate, reference: ref, tokens: tokens, options: options) { stage in
            if !quiet { FileHandle.standardError.write(Data("verify: \(stage)\n".utf8)) }
        }
    }

    /// --reference as a folder or a cached repo id, else the file's provenance.
    func referenceFolder(_ candidate: GGUFWeights) throws -> String {
        var isDir: ObjCBool = false
        if let reference {
            if FileManager.default.fileExists(atPath: reference, isDirectory: &isDir), isDir.boolValue { return reference }
            return try cachedSnapshot(repo: reference, commit: nil)
        }
        let p = candidate.provenance
        guard let repo = p.repo else {
            throw VerificationError.noReference("\(model) records no source repository")
        }
        return try cachedSnapshot(repo: repo, commit: p.commit)
    }

    func cachedSnapshot(repo: String, commit: String?) throws -> String { try cachedSnapshotFolder(repo: repo, commit: commit) }

    /// Commit (when the folder is a cache snapshot) plus sizes and dates of the weight files.
    func referenceIdentity(_ folder: String) -> String {
        let fm = FileManager.default
        let files = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".safetensors") || $0 == "config.json" }.sorted()
        let stats = files.map { f -> String in
            let a = try? fm.attributesOfItem(atPath: folder + "/" + f)
            return "\(f):\((a?[.size] as? NSNumber)?.int64Value ?? -1):\((a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        return ((try? fm.destinationOfSymbolicLink(atPath: folder)) ?? folder) + "|" + stats.joined(separator: ",")
    }
}

/// The snapshot folder of `repo` at `commit` (default: `refs/main`) in the Hugging Face cache
/// (`HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`).
func cachedSnapshotFolder(repo: String, commit: String?) throws -> String {
    guard let id = RepoID(repo) else { throw VerificationError.noReference("\(repo) is neither a folder nor a repo id") }
    let env = ProcessInfo.processInfo.environment
    let root = env["HF_HUB_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
        ?? ((env["HF_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache/huggingface")) + "/hub")
    let layout = CacheLayout(root: root)
    var resolved = commit
    if resolved == nil, let data = FileManager.default.contents(atPath: layout.refFile(id, revision: "main")) {
        resolved = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    guard let c = resolved else { throw VerificationError.noReference("\(repo) is not in the cache at \(root)") }
    // The commit may come from a (hostile) file: only a 40-hex commit hash may become a path.
    guard c.utf8.count == 40, c.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
        throw VerificationError.noReference("\(repo): \"\(c.prefix(80))\" is not a commit hash")
    }
    let folder = layout.snapshotFolder(id, commit: c)
    guard FileManager.default.fileExists(atPath: folder + "/config.json") else {
        throw VerificationError.noReference("\(repo)@\(c) is not in the cache at \(root) (run hubkit download first)")
    }
    return folder
}
