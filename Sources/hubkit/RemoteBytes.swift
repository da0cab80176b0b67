import Foundation
import ModelHub
import TensorCore

/// A file still on the Hub, read in the pieces a parser asks for (ranged GETs through
/// `HubClient.read`, the CDN redirect followed without the token). Each piece is fetched once and
/// kept for the object's lifetime; pieces over 64 MiB are refused (a planner asks for a zip's tail
/// and its pickle, never for tensor data).
final class RemoteBytes: ByteSource {
    let path: String
    let size: UInt64
    private let repo: RepoID
    private let commit: String
    private let client: HubClient
    private var pieces: [(range: Range<UInt64>, bytes: UnsafeMutableRawBufferPointer)] = []
    /// Ranged requests made so far.
    private(set) var requests = 0

    init(_ file: Manifest.File, repo: RepoID, commit: String, client: HubClient) {
        path = "\(repo)/\(file.path)"
        size = UInt64(max(0, file.size))
        self.repo = repo
        self.commit = commit
        self.client = client
        remotePath = file.path
    }

    private let remotePath: String

    deinit { for p in pieces { p.bytes.deallocate() } }

    func bytes(at offset: UInt64, count length: UInt64) throws -> UnsafeRawBufferPointer {
        let (end, overflow) = offset.addingReportingOverflow(length)
        guard !overflow, end <= size else {
            throw MappedFileError.outOfBounds(path: path, offset: offset, length: length, fileSize: size)
        }
        guard length > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if let p = pieces.first(where: { $0.range.lowerBound <= offset && end <= $0.range.upperBound }) {
            return UnsafeRawBufferPointer(rebasing: p.bytes[Int(offset - p.range.lowerBound)..<Int(end - p.range.lowerBound)])
        }
        guard length <= 64 << 20 else {
            throw HubError.invalidOption("\(path): a planning read of \(length) bytes at \(offset) is too large")
        }
        let got = try client.read(remotePath, in: repo, revision: commit, range: Int64(offset)..<Int64(end))
        requests += 1
        guard UInt64(got.count) == length else {
            throw MappedFileError.outOfBounds(path: path, offset: offset, length: length, fileSize: UInt64(got.count))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: got.count, alignment: 16)
        got.withUnsafeBytes { buffer.copyMemory(from: $0) }
        pieces.append((offset..<end, buffer))
        return UnsafeRawBufferPointer(buffer)
    }
}
