import Foundation
import ModelHub

/// Draws download progress on a terminal (stderr): one summary line with bytes, rate and ETA,
/// then one line per active file, redrawn in place. Colour only without `NO_COLOR`.
final class ProgressRenderer: @unchecked Sendable {
    private let lock = NSLock()
    private var drawnLines = 0
    private let color: Bool
    private let maxFiles = 8

    init(color: Bool) { self.color = color }

    func render(_ p: DownloadProgress) {
        lock.lock()
        defer { lock.unlock() }
        var lines: [String] = []
        let percent = p.totalBytes > 0 ? Int(Double(p.completedBytes) / Double(p.totalBytes) * 100) : 100
        let rate = formatBytes(Int64(p.bytesPerSecond)) + "/s"
        let eta = p.eta.map { ProgressRenderer.duration($0) } ?? "--"
        let head = "\(formatBytes(p.completedBytes)) / \(formatBytes(p.totalBytes))  \(percent)%  \(rate)  ETA \(eta)  (\(p.filesDone)/\(p.filesTotal) files)"
        lines.append(color ? "\u{1B}[1m" + head + "\u{1B}[0m" : head)
        for f in p.active.prefix(maxFiles) {
            let pct = f.totalBytes > 0 ? Int(Double(f.completedBytes) / Double(f.totalBytes) * 100) : 100
            lines.append("  " + ProgressRenderer.bar(pct) + " \(String(pct).leftPad(3))%  \(formatBytes(f.totalBytes).leftPad(10))  \(f.path)")
        }
        if p.active.count > maxFiles { lines.append("  … and \(p.active.count - maxFiles) more") }
        var out = ""
        if drawnLines > 0 { out += "\u{1B}[\(drawnLines)A\r\u{1B}[J" }
        out += lines.joined(separator: "\n") + "\n"
        drawnLines = lines.count
        StandardError.write(out)
    }

    /// Erases the progress block.
    func clear() {
        lock.lock()
        defer { lock.unlock() }
        if drawnLines > 0 { StandardError.write("\u{1B}[\(drawnLines)A\r\u{1B}[J") }
        drawnLines = 0
    }

    static func bar(_ percent: Int) -> String {
        let width = 20
        let filled = max(0, min(width, percent * width / 100))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
