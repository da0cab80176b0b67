import Foundation
import TensorCore

/// What the slow reference pass produces and the verifier needs again for every quant type:
/// the tokens, for each scored position the reference log-probabilities, and the residual stream
/// after each block for the first positions of the first chunk (in `hiddenStates`, or — for a
/// layer-streamed run — in a `HiddenStateFile` beside the cached run, with `hiddenStates` empty).
public struct ReferenceRun: Sendable, Equatable {
    /// Tokens of every chunk (each chunk `contextSize` long).
    public var chunks: [[Int]]
    /// Index of the first scored position in a chunk (llama-perplexity scores the second half).
    public var firstScored: Int
    public var vocabSize: Int
    /// Per chunk, per scored position: log-softmax of the reference logits, `[scored, vocab]`.
    public var logProbs: [[Float]]
    /// Per block: hidden states `[hiddenTokens, hidden]` of chunk 0.
    public var hiddenStates: [[Float]]
    public var hiddenTokens: Int

    static let magic: UInt32 = 0x4356_4B48 // "HKVC"
    static let version: UInt32 = 1

    /// Serialises and compresses with zstd.
    func compressed() throws -> [UInt8] {
        var w = ByteWriter()
        w.write(Self.magic); w.write(Self.version)
        w.write(UInt32(chunks.count)); w.write(UInt32(chunks.first?.count ?? 0))
        w.write(UInt32(firstScored)); w.write(UInt32(vocabSize)); w.write(UInt32(hiddenTokens)); w.write(UInt32(hiddenStates.count))
        w.write(UInt32(hiddenStates.first?.count ?? 0))
        for c in chunks { for t in c { w.write(UInt32(t)) } }
        for lp in logProbs { for v in lp { w.write(v) } }
        for h in hiddenStates { for v in h { w.write(v) } }
        return try Zstd.compress(w.bytes)
    }

    init(chunks: [[Int]], firstScored: Int, vocabSize: Int, logProbs: [[Float]], hiddenStates: [[Float]], hiddenTokens: Int) {
        self.chunks = chunks
        self.firstScored = firstScored
        self.vocabSize = vocabSize
        self.logProbs = logProbs
        self.hiddenStates = hiddenStates
        self.hiddenTokens = hiddenTokens
    }

    init(compressed: [UInt8], path: String) throws {
        let bytes = try Zstd.decompress(compressed)
        do {
            self = try bytes.withUnsafeBytes { raw in try Self.decode(raw, path: path) }
        } catch let e as UnexpectedEndOfData {
            throw VerificationError.cacheCorrupt(path: path, reason: e.description)
        }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, path: String) throws -> ReferenceRun {
        var r = ByteReader(raw)
        guard try r.read(UInt32.self) == magic, try r.read(UInt32.self) == version else {
            throw VerificationError.cacheCorrupt(path: path, reason: "wrong magic or version")
        }
        let nChunks = Int(try r.read(UInt32.self)), ctx = Int(try r.read(UInt32.self))
        let firstScored = Int(try r.read(UInt32.self)), vocabSize = Int(try r.read(UInt32.self))
        let hiddenTokens = Int(try r.read(UInt32.self))
        let layers = Int(try r.read(UInt32.self)), hiddenCount = Int(try r.read(UInt32.self))
        let scored = max(0, ctx - 1 - firstScored)
        // Every count must fit in the bytes that are there before anything is allocated.
        // In floating point: a hostile header must not overflow the arithmetic either.
        let needed = Double(nChunks) * (4 * Double(ctx) + 4 * Double(scored) * Double(vocabSize)) + 4 * Double(layers) * Double(hiddenCount)
        guard needed <= Double(r.remaining) else {
            throw VerificationError.cacheCorrupt(path: path, reason: "sizes exceed the data")
        }
        let chunks = try (0..<nChunks).map { _ in try (0..<ctx).map { _ in Int(try r.read(UInt32.self)) } }
        let logProbs = try (0..<nChunks).map { _ in try (0..<(scored * vocabSize)).map { _ in try r.readFloat32() } }
        let hidden = try (0..<layers).map { _ in try (0..<hiddenCount).map { _ in try r.readFloat32() } }
        return ReferenceRun(chunks: chunks, firstScored: firstScored, vocabSize: vocabSize, logProbs: logProbs,
                            hiddenStates: hidden, hiddenTokens: hiddenTokens)
    }
}

/// A directory of compressed reference runs keyed by source, text and token count.
public struct ReferenceCache: Sendable {
    public let directory: String

    /// `$HUBKIT_CACHE` or `$XDG_CACHE_HOME/hubkit/verify` or `~/.cache/hubkit/verify`.
    public static func defaultDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        if let d = env["HUBKIT_VERIFY_CACHE"], !d.isEmpty { return d }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/hubkit/verify"
    }

    public init(directory: String = ReferenceCache.defaultDirectory()) { self.directory = directory }

    /// A stable file name for a key (64-bit FNV-1a of the key text; not a security boundary).
    static func fileName(for key: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(format: "ref-%016llx.zst", h)
    }

    /// The hidden-state file stored beside the run of `key` (layer-streamed runs keep them there).
    func hiddenStatePath(for key: String) -> String {
        directory + "/" + (Self.fileName(for: key) as NSString).deletingPathExtension + ".hidden"
    }

    func load(key: String) -> ReferenceRun? {
        let path = directory + "/" + Self.fileName(for: key)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? ReferenceRun(compressed: [UInt8](data), path: path)
    }

    func store(_ run: ReferenceRun, key: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let out = try AtomicOutputFile(destination: directory + "/" + Self.fileName(for: key), overwrite: true)
        try out.handle.write(contentsOf: run.compressed())
        try out.commit()
    }
}
