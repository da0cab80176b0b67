import Foundation

/// A download in progress under a name of hubkit's own (`<final>.hubkit-partial`, never
/// huggingface_hub's `<etag>.incomplete`, which older huggingface_hub versions append to
/// blindly), with a small record beside it (`<final>.hubkit-partial.ranges`) of the byte ranges
/// already written, so a later run fetches only what is missing.
///
/// Record format (text): `hubkit-partial 1 <size> <etag>` then one `<start> <end>` line per
/// written half-open range. Written to a temporary name and renamed, so it is never torn.
/// Ranges are recorded only after their bytes were written to the data file; the final digest
/// check catches anything the disk lost.
struct PartialFile {
    let dataPath: String
    var recordPath: String { dataPath + ".ranges" }

    init(finalPath: String) { dataPath = finalPath + ".hubkit-partial" }

    init(dataPath: String) { self.dataPath = dataPath }

    /// The ranges written by earlier runs for a file of `size` bytes and this `etag`;
    /// empty when there is no record, it is for other content, or the data file is shorter.
    func loadRecord(size: Int64, etag: String) -> RangeSet {
        guard let data = FileManager.default.contents(atPath: recordPath),
              let text = String(data: data, encoding: .utf8) else { return RangeSet() }
        var lines = text.split(whereSeparator: \.isNewline)
        guard let head = lines.first, head == "hubkit-partial 1 \(size) \(etag)" else { return RangeSet() }
        lines.removeFirst()
        var st = stat()
        guard stat(dataPath, &st) == 0 else { return RangeSet() }
        let onDisk = Int64(st.st_size)
        var set = RangeSet()
        for line in lines {
            let f = line.split(separator: " ")
            guard f.count == 2, let a = Int64(f[0]), let b = Int64(f[1]), a >= 0, a < b, b <= size, b <= onDisk else {
                return RangeSet()
            }
            set.insert(a..<b)
        }
        return set
    }

    /// Atomically replaces the record.
    func saveRecord(_ set: RangeSet, size: Int64, etag: String) {
        var text = "hubkit-partial 1 \(size) \(etag)\n"
        for r in set.intervals { text += "\(r.lowerBound) \(r.upperBound)\n" }
        let tmp = recordPath + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        // Plain write + rename, no fsync: the record is a hint (the digest check has the last word),
        // and Foundation's createFile would fsync on every save.
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        let ok = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
        close(fd)
        if ok { rename(tmp, recordPath) } else { unlink(tmp) }
    }

    /// Deletes data and record.
    func remove() {
        unlink(dataPath)
        unlink(recordPath)
    }
}
