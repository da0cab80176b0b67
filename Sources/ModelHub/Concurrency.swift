import Foundation

/// Runs `count` blocking bodies on threads of their own and waits for all of them.
/// (Blocking libcurl calls must not run on the Swift concurrency pool, which has one thread per core.)
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    guard count > 0 else { return }
    if count == 1 { body(0); return }
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let t = Thread {
            body(i)
            group.leave()
        }
        t.stackSize = 1 << 20
        t.start()
    }
    group.wait()
}

/// A flag other threads can read to stop early.
final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// The first error recorded wins.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?
    var error: Error? { lock.withLock { stored } }
    func record(_ e: Error) { lock.withLock { if stored == nil { stored = e } } }
}

/// An exclusive flock(2) lock on a file under `.locks/`, the kind huggingface_hub's `filelock`
/// takes, so hubkit and huggingface_hub never write the same blob at once.
public final class FileLock: @unchecked Sendable {
    private let fd: Int32
    /// The lock file.
    public let path: String

    /// Creates the lock file if needed and blocks until the lock is held.
    public init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw HubError.io(path: path, message: "cannot open lock file: \(String(cString: strerror(errno)))") }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let message = String(cString: strerror(errno))
            close(fd)
            throw HubError.io(path: path, message: "cannot lock: \(message)")
        }
    }

    /// Releases the lock (also done on deinit). The lock file stays, as huggingface_hub leaves it.
    public func unlock() {
        flock(fd, LOCK_UN)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
