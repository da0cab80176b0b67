#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file written under a temporary name beside its destination and renamed into place only when
/// `commit()` is called, so a crash, an error or Ctrl-C never leaves a partial file under the
/// final name. Dropping it uncommitted deletes the temporary file; so does an interrupt once
/// `TemporaryFiles.removeOnInterrupt()` is installed. Temporary files of the same destination left
/// by a killed process are removed when the next one is created.
public final class AtomicOutputFile {
    public let destination: String
    public let temporaryPath: String
    public let handle: FileHandle
    private var done = false

    /// Creates the temporary file. Refuses an existing destination unless `overwrite` is set.
    public init(destination: String, overwrite: Bool) throws {
        self.destination = destination
        if !overwrite, FileManager.default.fileExists(atPath: destination) {
            throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: destination])
        }
        let dir = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        TemporaryFiles.removeStale(besides: destination)
        temporaryPath = (dir.isEmpty ? "." : dir) + "/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).partial"
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporaryPath])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporaryPath))
        TemporaryFiles.register(temporaryPath)
    }

    /// Flushes, closes and renames the temporary file to its destination (or to `path` instead:
    /// where a file that failed a later check is kept for inspection).
    public func commit(to path: String? = nil) throws {
        let target = path ?? destination
        try handle.synchronize()
        try handle.close()
        guard rename(temporaryPath, target) == 0 else {
            let code = errno
            throw CocoaError(.fileWriteUnknown, userInfo: [
                NSFilePathErrorKey: target,
                NSLocalizedDescriptionKey: "cannot rename \(temporaryPath) to \(target): \(String(cString: strerror(code)))",
            ])
        }
        done = true
        TemporaryFiles.unregister(temporaryPath)
    }

    deinit {
        if !done {
            try? handle.close()
            unlink(temporaryPath)
            TemporaryFiles.unregister(temporaryPath)
        }
    }
}
