import Foundation

/// A `Range: bytes=…` request header interpreted against a file size, the way S3/CloudFront and
/// the Hub do: one range only (several, or a malformed header, are ignored: the whole file, 200).
public enum ByteRangeRequest: Sendable, Equatable {
    /// No usable Range header: answer 200 with the whole body.
    case whole
    /// Answer 206 with these bytes (inclusive bounds, clamped to the file).
    case partial(ClosedRange<Int64>)
    /// Answer 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    /// Interprets `header` (`bytes=10-`, `bytes=10-19`, `bytes=-5`) for a body of `size` bytes.
    public init(header: String?, size: Int64) {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { self = .whole; return }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { self = .whole; return }
        let first = parts[0].trimmingCharacters(in: .whitespaces)
        let last = parts[1].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            // Suffix range: the last N bytes.
            guard let count = Int64(last), count >= 0 else { self = .whole; return }
            guard count > 0, size > 0 else { self = .unsatisfiable; return }
            self = .partial(max(0, size - count)...(size - 1))
            return
        }
        guard let start = Int64(first), start >= 0 else { self = .whole; return }
        var end = size - 1
        if !last.isEmpty {
            guard let value = Int64(last), value >= start else { self = .whole; return }
            end = min(value, size - 1)
        }
        guard start < size else { self = .unsatisfiable; return }
        self = .partial(start...end)
    }
}

