import Foundation
import Hummingbird

/// Streams a byte range of a file from disk in 1 MiB chunks, read on a queue of its own, so a
/// 2 GiB file never sits in memory and slow disks do not block the async executor.
enum FileBody {
    static let chunkSize = 1 << 20

    /// A body of `range` (inclusive) of the file at `path`.
    static func make(path: String, range: ClosedRange<Int64>) -> ResponseBody {
        let count = range.upperBound - range.lowerBound + 1
        return ResponseBody(contentLength: Int(count)) { writer in
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw HubServerError.unreadableFile(path: path, reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            // A serial queue of its own: libdispatch gives it a thread even when the global pool
            // (as wide as the cores) is busy, so a blocked reader never starves other responses.
            let queue = DispatchQueue(label: "hubkit.serve.file")
            var offset = range.lowerBound
            while offset <= range.upperBound {
                // Stopping the server cancels this task: end the body instead of sending gigabytes.
                try Task.checkCancellation()
                let want = Int(min(Int64(chunkSize), range.upperBound - offset + 1))
                let chunk = try await readChunk(fd: fd, offset: offset, count: want, path: path, queue: queue)
                try await writer.write(chunk)
                offset += Int64(want)
            }
            try await writer.finish(nil)
        }
    }

    private static func readChunk(fd: Int32, offset: Int64, count: Int, path: String, queue: DispatchQueue) async throws -> ByteBuffer {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                var buffer = ByteBufferAllocator().buffer(capacity: count)
                var failure: HubServerError?
                var done = 0
                while done < count, failure == nil {
                    var n = 0
                    buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { raw in
                        n = pread(fd, raw.baseAddress, count - done, off_t(offset) + off_t(done))
                        return max(0, n)
                    }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 {
                        failure = .unreadableFile(path: path, reason: n == 0 ? "file shrank while serving" : String(cString: strerror(errno)))
                    }
                    done += max(0, n)
                }
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume(returning: buffer) }
            }
        }
    }
}
