import Crypto
import Foundation

/// Hashes a file's content in order, the way the Hub names blobs: SHA-256 of the content for
/// LFS files, git's blob SHA-1 (`"blob <len>\0"` + content) for regular files.
struct ContentHasher {
    enum Kind: Sendable { case sha256, gitSHA1 }
    private var sha256: SHA256?
    private var sha1: Insecure.SHA1?
    let kind: Kind

    init(kind: Kind, size: Int64) {
        self.kind = kind
        switch kind {
        case .sha256: sha256 = SHA256()
        case .gitSHA1:
            var h = Insecure.SHA1()
            h.update(data: Array("blob \(size)\0".utf8))
            sha1 = h
        }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        if sha256 != nil { sha256!.update(bufferPointer: bytes) } else { sha1!.update(bufferPointer: bytes) }
    }

    /// Lower-case hex digest.
    func finalize() -> String {
        if let sha256 { return Digest.hex(sha256.finalize()) }
        return Digest.hex(sha1!.finalize())
    }
}

/// Digest helpers.
public enum Digest {
    static func hex<D: Sequence>(_ d: D) -> String where D.Element == UInt8 {
        d.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// Whether `text` is 64 lower-case hex digits.
    public static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// Hashes a whole file (used by `cache verify`): SHA-256, or git blob SHA-1 when `gitBlob`.
    public static func ofFile(_ path: String, gitBlob: Bool) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw HubError.io(path: path, message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        var hasher = ContentHasher(kind: gitBlob ? .gitSHA1 : .sha256, size: Int64(st.st_size))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 { if errno == EINTR { continue }; throw HubError.io(path: path, message: String(cString: strerror(errno))) }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hasher.finalize()
    }
}
