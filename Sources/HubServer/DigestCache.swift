import Crypto
import Foundation

/// Content digests of served files, computed once per file version (path, size, mtime, inode) so a
/// 2 GiB weight file is hashed on first use only. Concurrent first requests share one hashing job,
/// which runs on a serial queue of its own (a thread even when the global pool is busy), not on
/// the async executor.
actor DigestCache {
    enum Kind: Hashable { case gitBlob, sha256 }

    struct Key: Hashable {
        let path: String
        let size: Int64
        let mtimeNanoseconds: Int64
        let inode: UInt64
        let kind: Kind
    }

    private var done: [Key: String] = [:]
    private var running: [Key: Task<String, any Error>] = [:]
    /// How many files have been read to hash them (tests check that each version is read once).
    private(set) var hashCount = 0

    /// The digest of the file at `key.path`: git blob sha1 or sha256 of its content.
    func digest(_ key: Key) async throws -> String {
        if let hit = done[key] { return hit }
        if let job = running[key] { return try await job.value }
        let job = Task<String, any Error> {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue(label: "hubkit.serve.hash").async {
                    continuation.resume(with: Result { try DigestCache.hash(key) })
                }
            }
        }
        running[key] = job
        hashCount += 1
        defer { running[key] = nil }
        let value = try await job.value
        done[key] = value
        return value
    }

    private static func hash(_ key: Key) throws -> String {
        let fd = open(key.path, O_RDONLY)
        guard fd >= 0 else { throw HubServerError.unreadableFile(path: key.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var sha1 = Insecure.SHA1()
        var sha256 = SHA256()
        if key.kind == .gitBlob { sha1.update(data: Array("blob \(key.size)\0".utf8)) }
        var total: Int64 = 0
        while true {
            let n = read(fd, buffer.baseAddress, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw HubServerError.unreadableFile(path: key.path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            let slice = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            if key.kind == .gitBlob { sha1.update(bufferPointer: slice) } else { sha256.update(bufferPointer: slice) }
            total += Int64(n)
        }
        guard total == key.size else {
            throw HubServerError.unreadableFile(path: key.path, reason: "changed while hashing (\(total) bytes, expected \(key.size))")
        }
        return key.kind == .gitBlob ? GitObjects.hex(sha1.finalize()) : GitObjects.hex(sha256.finalize())
    }
}
