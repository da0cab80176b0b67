import Conversion
import Foundation
import ModelHub

/// One self-overwriting status line on stderr: download bytes and the tensor being converted.
final class PullProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date.distantPast
    private var download = ""
    private var converting = ""

    func download(done: Int64, total: Int64, shard: String?) {
        lock.withLock {
            download = "download \(formatBytes(done))/\(formatBytes(total))" + (shard.map { " (\($0))  " } ?? "  ")
            draw()
        }
    }

    func convert(_ p: ConversionProgress, download d: (done: Int64, total: Int64, shard: String?)) {
        lock.withLock {
            download = d.total == 0 || d.done >= d.total ? "" : "download \(formatBytes(d.done))/\(formatBytes(d.total))  "
            converting = "convert [\(p.tensorIndex + 1)/\(p.tensorCount)] \(p.tensor) \(p.type.name)"
            draw()
        }
    }

    private func draw() {
        guard Date().timeIntervalSince(last) > 0.1 else { return }
        last = Date()
        StandardError.write("\r" + download + converting + "\u{1B}[K")
    }

    func finish() { StandardError.write("\r\u{1B}[K") }
}

/// Shards removed by `--delete-sources` (appended from the converter's thread).
final class DeletedList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ item: String) { lock.withLock { list.append(item) } }
    var items: [String] { lock.withLock { list } }
}
