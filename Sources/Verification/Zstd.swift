import CZstd

/// One-shot zstd compression through the system libzstd.
enum Zstd {
    static func compress(_ input: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in
            input.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, input.count, level) }
        }
        guard ZSTD_isError(n) == 0 else { throw VerificationError.io(path: "zstd", reason: String(cString: ZSTD_getErrorName(n))) }
        out.removeSubrange(n...)
        return out
    }

    /// Decompresses one frame whose header records its size; refuses frames over `limit` bytes.
    static func decompress(_ input: [UInt8], limit: Int = 4 << 30) throws -> [UInt8] {
        let size = input.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, input.count) }
        // ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are the two largest UInt64 values.
        guard size < UInt64.max - 1, size <= UInt64(limit) else {
            throw VerificationError.cacheCorrupt(path: "zstd frame", reason: "unknown or absurd content size")
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        let n = out.withUnsafeMutableBytes { o in
            input.withUnsafeBytes { i in ZSTD_decompress(o.baseAddress, Int(size), i.baseAddress, input.count) }
        }
        guard ZSTD_isError(n) == 0, n == Int(size) else {
            throw VerificationError.cacheCorrupt(path: "zstd frame", reason: ZSTD_isError(n) != 0 ? String(cString: ZSTD_getErrorName(n)) : "short frame")
        }
        return out
    }
}
