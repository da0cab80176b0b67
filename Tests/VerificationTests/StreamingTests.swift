import Foundation
import Testing
import TestSupport
@testable import Verification
import Tokenization

/// Layer-streamed verification: both passes advance one block at a time over all chunks and drop
/// each block's weight pages once used. It must give exactly the report of the whole-model passes.
@Suite("Layer-streamed verify")
struct StreamingTests {
    final class Model: @unchecked Sendable {
        let dir: String
        let folder: String
        init(layers: Int = 3, hidden: Int = 64, intermediate: Int = 192, tied: Bool = false) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-stream-\(UUID().uuidString)").path
            folder = dir + "/model"
            var o = TinyLlama.Options()
            o.layers = layers
            o.hidden = hidden
            o.intermediate = intermediate
            o.tiedEmbeddings = tied
            try TinyLlama.write(to: folder, options: o)
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }

        var tokens: [Int] { get throws { try Tokenizer(contentsOf: folder + "/tokenizer.json").encode(DefaultCorpus.text) } }
    }

    static func options(stream: Bool, cache: ReferenceCache? = nil) -> VerifyOptions {
        var o = VerifyOptions()
        o.maxTokens = 36
        o.contextSize = 12 // three chunks
        o.hiddenStateTokens = 7
        o.threads = 2
        o.cache = cache
        o.streamLayers = stream
        return o
    }

    /// Everything in a report but the timings.
    static func expectSame(_ a: VerifyReport, _ b: VerifyReport, _ what: String) {
        #expect(a.tensors == b.tensors, "\(what): tensors")
        #expect(a.hiddenDrift == b.hiddenDrift, "\(what): drift \(a.hiddenDrift) vs \(b.hiddenDrift)")
        #expect(a.logits == b.logits, "\(what): logits")
        #expect(a.failures == b.failures && a.fileType == b.fileType && a.driftLimit == b.driftLimit && a.hiddenTokens == b.hiddenTokens, "\(what)")
        #expect(a.logitsJudged == b.logitsJudged && a.passed == b.passed, "\(what)")
    }

    @Test("streamed and whole-model passes give identical reports (F16, Q8_0, Q4_0, broken, tied)")
    func sameReport() throws {
        for tied in [false, true] {
            let model = try Model(tied: tied)
            let tokens = try model.tokens
            let reference = try SafeTensorsWeights(folder: model.folder)
            for (type, broken) in [("f16", "none"), ("q8_0", "none"), ("q4_0", "none"), ("q8_0", "no-permute")] {
                let path = try GGUFMaker.make(from: model.folder, type: type, broken: broken, in: model.dir, name: "\(type)-\(broken)")
                let streamed = try Verifier.verify(candidate: GGUFWeights(path: path), reference: reference, tokens: tokens, options: Self.options(stream: true))
                let whole = try Verifier.verify(candidate: GGUFWeights(path: path), reference: reference, tokens: tokens, options: Self.options(stream: false))
                Self.expectSame(streamed, whole, "\(type) \(broken) tied=\(tied)")
                #expect(streamed.hiddenDrift.count == 3 && streamed.logits?.chunks == 3 && streamed.logits?.scoredTokens == 3 * 5)
                #expect(streamed.tensors.count == 1 + 3 * 9 + 1 + (tied ? 0 : 1))
                #expect(streamed.passed == (broken == "none"), "\(type) \(broken): \(streamed.failures)")
                if type != "f16" { #expect(streamed.hiddenDrift.allSatisfy { $0 > 0 }, "a quantized file drifts somewhat") }
            }
        }
    }

    @Test("a PyTorch .bin reference streams to the same report as the safetensors it holds")
    func binReference() throws {
        let model = try Model()
        let tokens = try model.tokens
        let binFolder = model.dir + "/bin"
        try FileManager.default.createDirectory(atPath: binFolder, withIntermediateDirectories: true)
        for f in ["config.json", "tokenizer.json"] { try FileManager.default.copyItem(atPath: model.folder + "/" + f, toPath: binFolder + "/" + f) }
        let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/python").path
        try Python.run("""
        import collections, glob, sys
        sys.path.insert(0, sys.argv[1])
        import torchsave
        from safetensors.numpy import load_file
        t = collections.OrderedDict()
        for f in sorted(glob.glob(sys.argv[2] + "/*.safetensors")):
            for k, v in load_file(f).items(): t[k] = ("F16", v)
        torchsave.save(t, sys.argv[3] + "/pytorch_model.bin")
        """, arguments: [scripts, model.folder, binFolder])
        let path = try GGUFMaker.make(from: model.folder, type: "q4_0", in: model.dir, name: "q4")
        let fromBin = try SafeTensorsWeights(folder: binFolder)
        #expect(fromBin.model.shardNames == ["pytorch_model.bin"])
        let a = try Verifier.verify(candidate: GGUFWeights(path: path), reference: fromBin, tokens: tokens, options: Self.options(stream: true))
        let b = try Verifier.verify(candidate: GGUFWeights(path: path), reference: SafeTensorsWeights(folder: model.folder), tokens: tokens,
                                    options: Self.options(stream: true))
        Self.expectSame(a, b, ".bin vs safetensors reference")
        #expect(a.passed, "\(a.failures)")
    }

    @Test("a batch of sequences advanced block by block equals each sequence run alone, bit for bit")
    func batchEqualsSingle() throws {
        let model = try Model(layers: 2)
        let tokens = try model.tokens
        let chunks = [Array(tokens[0..<10]), Array(tokens[10..<20]), Array(tokens[20..<30])]
        let path = try GGUFMaker.make(from: model.folder, type: "q4_0", in: model.dir, name: "q4")
        for weights in [try SafeTensorsWeights(folder: model.folder) as any LlamaWeightSource, try GGUFWeights(path: path)] {
            let forward = try LlamaForward(weights: weights)
            var batch = try forward.embed(chunks)
            let scratch = forward.makeScratch(for: batch)
            var hidden: [[Float]] = []
            for l in 0..<2 {
                try forward.block(l, &batch, scratch: scratch, threads: 2, releaseWeights: true)
                hidden.append(batch.x)
            }
            let logits = try forward.logits(batch, scratch: scratch, threads: 2, releaseWeights: true)
            let D = forward.config.hiddenSize, V = forward.config.vocabSize
            for (i, chunk) in chunks.enumerated() {
                let alone = try forward.run(chunk, options: ForwardOptions(threads: 1, hiddenStateTokens: 10))
                #expect(Array(logits[(i * 10 * V)..<((i + 1) * 10 * V)]) == alone.logits, "\(weights.sourceName) chunk \(i)")
                for l in 0..<2 { #expect(Array(hidden[l][(i * 10 * D)..<((i + 1) * 10 * D)]) == alone.hiddenStates[l]) }
            }
        }
    }

    @Test("row bands cover a matrix in order, and a product computed band by band is bit-identical")
    func bands() throws {
        let model = try Model(layers: 1, hidden: 256, intermediate: 2048)
        let path = try GGUFMaker.make(from: model.folder, type: "q8_0", in: model.dir, name: "q8")
        for weights in [try SafeTensorsWeights(folder: model.folder) as any LlamaWeightSource, try GGUFWeights(path: path)] {
            let w = try weights.checkedMatrix(.gate(0))
            for m in [1, 16, 48] {
                let b = w.bands(multipleOf: m)
                #expect(b.first?.lowerBound == 0 && b.last?.upperBound == w.rows && zip(b, b.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                #expect(b.dropLast().allSatisfy { $0.count % m == 0 })
            }
            let tokens = 7
            var rng = SplitMix64(seed: 3)
            let x = (0..<(tokens * w.cols)).map { _ in Float(rng.nextNormal()) }
            var whole = [Float](repeating: 0, count: tokens * w.rows), banded = whole
            MatMul.multiply(x, tokens: tokens, w, into: &whole, threads: 2)
            for band in [0..<16, 16..<48, 48..<1000, 1000..<w.rows] {
                MatMul.multiply(x, tokens: tokens, w, rows: band, into: &banded, threads: 2)
                weights.release(.gate(0), rows: band)
            }
            #expect(whole == banded, "\(weights.sourceName)")
        }
    }

    @Test("a mismatched scratch or block index is an error, not a crash")
    func badBatch() throws {
        let model = try Model(layers: 1)
        let forward = try LlamaForward(weights: SafeTensorsWeights(folder: model.folder))
        var two = try forward.embed([[1, 2, 3], [4, 5, 6]])
        let scratchForOne = forward.makeScratch(for: try forward.embed([[1, 2, 3]]))
        #expect(throws: VerificationError.self) { try forward.block(0, &two, scratch: scratchForOne, threads: 1) }
        #expect(throws: VerificationError.self) { try forward.block(1, &two, scratch: forward.makeScratch(for: two), threads: 1) }
        #expect(throws: VerificationError.self) { _ = try forward.embed([[1, 2, 3], [4, 5]]) }
        #expect(throws: VerificationError.self) { _ = try forward.embed([[1, 2, 1_000_000]]) }
    }

    @Test("a reference cached by one mode is reused by the other with the same numbers")
    func cacheAcrossModes() throws {
        let model = try Model()
        let tokens = try model.tokens
        let cache = ReferenceCache(directory: model.dir + "/cache")
        let reference = try SafeTensorsWeights(folder: model.folder)
        let path = try GGUFMaker.make(from: model.folder, type: "q8_0", in: model.dir, name: "q8")
        let fresh = try Verifier.verify(candidate: GGUFWeights(path: path), reference: reference, tokens: tokens, options: Self.options(stream: true, cache: cache))
        #expect(!fresh.referenceFromCache)
        let wholeCached = try Verifier.verify(candidate: GGUFWeights(path: path), reference: reference, tokens: tokens, options: Self.options(stream: false, cache: cache))
        #expect(wholeCached.referenceFromCache)
        Self.expectSame(fresh, wholeCached, "streamed fresh vs whole from cache")
        let streamedCached = try Verifier.verify(candidate: GGUFWeights(path: path), reference: reference, tokens: tokens, options: Self.options(stream: true, cache: cache))
        #expect(streamedCached.referenceFromCache)
        Self.expectSame(fresh, streamedCached, "streamed fresh vs streamed from cache")
    }

    /// Resident bytes of the mappings of `path` in this process (`/proc/self/smaps`), in KiB.
    static func residentKiB(of path: String) throws -> Int {
        // /proc files report size 0: read to the end rather than by the reported size.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var total = 0, inFile = false
        for line in smaps.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":") {
                inFile = fields.last.map(String.init) == path
            } else if inFile, fields.first == "Rss:", fields.count >= 2, let kb = Int(fields[1]) {
                total += kb
            }
        }
        return total
    }

    @Test("release drops a tensor's pages from the resident set, for safetensors and GGUF")
    func releaseDropsPages() throws {
        let model = try Model(layers: 1, hidden: 256, intermediate: 2048)
        let path = try GGUFMaker.make(from: model.folder, type: "f16", in: model.dir, name: "f16")
        let reference = try SafeTensorsWeights(folder: model.folder)
        let shard = try #require(reference.model.entry(LlamaTensor.gate(0).hfName)).shard
        let sources: [(any LlamaWeightSource, String)] = [(reference, URL(fileURLWithPath: model.folder + "/" + shard).resolvingSymlinksInPath().path),
                                                          (try GGUFWeights(path: path), URL(fileURLWithPath: path).resolvingSymlinksInPath().path)]
        for (weights, file) in sources {
            let m = try weights.checkedMatrix(.gate(0)) // 2048 × 256 F16: 1 MiB
            let row = UnsafeMutablePointer<Float>.allocate(capacity: m.cols)
            defer { row.deallocate() }
            var sum: Float = 0
            for r in 0..<m.rows { m.decodeRow(r, into: row); sum += row[0] }
            let touched = try Self.residentKiB(of: file)
            weights.release(.gate(0))
            let released = try Self.residentKiB(of: file)
            #expect(touched >= 1024, "\(file): \(touched) KiB resident after reading 1 MiB (sum \(sum))")
            #expect(touched - released >= 1020, "\(file): \(touched) → \(released) KiB after release")
            // Still readable after release: the pages fault back in.
            m.decodeRow(m.rows - 1, into: row)
            #expect(row[0].isFinite)
        }
    }
}
