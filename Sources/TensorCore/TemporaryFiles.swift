#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// The temporary files this process is writing (`AtomicOutputFile`s not yet committed), so that an
/// interrupt (Ctrl-C, `kill`) removes them instead of leaving half-written files behind.
public enum TemporaryFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    static func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// The temporary files registered now.
    public static var registered: Set<String> { lock.withLock { paths } }

    /// On SIGINT, SIGTERM or SIGHUP: deletes every registered temporary file, then dies of the
    /// same signal (so the shell sees 130 for Ctrl-C). Also unblocks those signals, which a parent
    /// may have blocked for its children. Call once, early, from a command-line tool's main.
    public static func removeOnInterrupt() {
        lock.withLock {
            guard sources.isEmpty else { return }
            var set = sigset_t()
            sigemptyset(&set)
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                sigaddset(&set, sig)
                signal(sig, SIG_IGN)  // delivered to the dispatch source instead of killing at once
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler {
                    for path in registered { unlink(path) }
                    signal(sig, SIG_DFL)
                    var only = sigset_t()
                    sigemptyset(&only)
                    sigaddset(&only, sig)
                    pthread_sigmask(SIG_UNBLOCK, &only, nil)
                    raise(sig)
                }
                source.resume()
                sources.append(source)
            }
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
        }
    }

    /// Deletes temporary files named like `AtomicOutputFile`'s for `destination`
    /// (`.<name>.<pid>.<random>.partial` beside it) whose process is gone: what a SIGKILLed run
    /// leaves behind. Files of live processes are kept.
    public static func removeStale(besides destination: String) {
        let dir = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        let prefix = ".\(name)."
        guard let items = try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir) else { return }
        for item in items where item.hasPrefix(prefix) && item.hasSuffix(".partial") {
            let middle = item.dropFirst(prefix.count).dropLast(".partial".count).split(separator: ".")
            guard middle.count == 2, let pid = pid_t(middle[0]), UInt32(middle[1]) != nil, pid > 0 else { continue }
            if kill(pid, 0) == -1, errno == ESRCH { unlink((dir.isEmpty ? "." : dir) + "/" + item) }
        }
    }
}
