import Crypto
import Foundation
import Testing
@testable import ModelHub

@Suite("FileAssembly, PartialFile and RangeSet")
struct FileAssemblyTests {
    func bytes(_ n: Int, seed: UInt8 = 7) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) } }
    func sha(_ b: [UInt8]) -> String { SHA256.hash(data: b).map { String(format: "%02x", $0) }.joined() }

    @Test("range sets merge and report gaps")
    func rangeSet() {
        var s = RangeSet([10..<20, 30..<40])
        s.insert(20..<30)
        #expect(s.intervals == [10..<40])
        #expect(s.gaps(size: 50) == [0..<10, 40..<50])
        #expect(s.contiguousEnd(from: 15) == 40 && s.contiguousEnd(from: 5) == 5)
    }

    @Test("out-of-order ranges hash in file order, each byte read back at most once")
    func outOfOrder() throws {
        let dir = try TempDir("asm")
        defer { dir.remove() }
        let data = bytes(100_000)
        let a = try FileAssembly(partial: PartialFile(dataPath: dir.path + "/x.hubkit-partial"), size: 100_000, etag: sha(data), kind: .sha256)
        // Second half first (read back later), then the first half in order (hashed from the buffer).
        try data.withUnsafeBytes { raw in
            try a.write(UnsafeRawBufferPointer(rebasing: raw[50_000..<100_000]), at: 50_000)
            for start in stride(from: 0, to: 50_000, by: 10_000) {
                try a.write(UnsafeRawBufferPointer(rebasing: raw[start..<start + 10_000]), at: Int64(start))
            }
        }
        #expect(try a.finish() == sha(data))
        #expect(a.readBackBytes == 50_000)
    }

    @Test("a recorded prefix is kept across runs and hashed once")
    func resume() throws {
        let dir = try TempDir("asm")
        defer { dir.remove() }
        let data = bytes(64_000)
        let partial = PartialFile(dataPath: dir.path + "/y.hubkit-partial")
        do {
            let a = try FileAssembly(partial: partial, size: 64_000, etag: "e", kind: .sha256)
            try data.withUnsafeBytes { try a.write(UnsafeRawBufferPointer(rebasing: $0[0..<40_000]), at: 0) }
            a.checkpoint()
        }
        #expect(partial.loadRecord(size: 64_000, etag: "e").intervals == [0..<40_000])
        #expect(partial.loadRecord(size: 64_000, etag: "other").count == 0)
        let b = try FileAssembly(partial: partial, size: 64_000, etag: "e", kind: .sha256)
        #expect(b.missing() == [40_000..<64_000])
        try data.withUnsafeBytes { try b.write(UnsafeRawBufferPointer(rebasing: $0[40_000..<64_000]), at: 40_000) }
        #expect(try b.finish() == sha(data))
        #expect(b.readBackBytes == 64_000)  // the prefix, and the tail that arrived before the prefix was hashed
    }

    @Test("git blob sha1 for regular files")
    func gitSHA1() throws {
        // `printf 'hello\n' | git hash-object --stdin`
        var h = ContentHasher(kind: .gitSHA1, size: 6)
        Array("hello\n".utf8).withUnsafeBytes { h.update($0) }
        #expect(h.finalize() == "ce013625030ba8dba906f756967f9e9ca394464a")
    }

    @Test("a record that claims more than the data file holds is ignored")
    func tornRecord() throws {
        let dir = try TempDir("asm")
        defer { dir.remove() }
        let partial = PartialFile(dataPath: dir.path + "/z.hubkit-partial")
        FileManager.default.createFile(atPath: partial.dataPath, contents: Data(count: 10))
        partial.saveRecord(RangeSet([0..<100]), size: 100, etag: "e")
        #expect(partial.loadRecord(size: 100, etag: "e").count == 0)
    }
}

@Suite("TransferEngine piece plan")
struct PiecePlanTests {
    @Test("big files are cut into in-order pieces covering exactly the gaps; small files stay whole")
    func pieces() {
        var options = TransferOptions()
        options.rangeThreshold = 100
        options.minRangeSize = 40
        let engine = TransferEngine(client: HubClient(endpoint: "http://127.0.0.1:9", token: nil), options: options, progress: ProgressTracker())
        #expect(engine.split([0..<99], fileSize: 99) == [0..<99])
        #expect(engine.split([0..<130], fileSize: 130) == [0..<40, 40..<80, 80..<130])
        #expect(engine.split([10..<50, 70..<200], fileSize: 200) == [10..<50, 70..<110, 110..<150, 150..<200])
    }
}
