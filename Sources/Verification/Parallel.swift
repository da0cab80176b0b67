import Dispatch
import Foundation

/// A raw pointer that may cross into worker threads. Each worker writes a disjoint part.
struct SendablePointer<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}

struct SendableConstPointer<T>: @unchecked Sendable {
    let p: UnsafePointer<T>
    init(_ p: UnsafePointer<T>) { self.p = p }
}

/// Runs `body(worker, workers)` on `threads` workers (the calling thread included). Work is
/// split statically by the caller from `worker`, so results never depend on scheduling.
func runWorkers(_ threads: Int, _ body: @Sendable (Int, Int) -> Void) {
    let n = max(1, threads)
    if n == 1 {
        body(0, 1)
        return
    }
    DispatchQueue.concurrentPerform(iterations: n) { body($0, n) }
}

/// Hands out work items 0..<count one at a time to whichever worker asks first. A worker that the
/// OS deschedules simply takes fewer items, so a busy machine does not stall every parallel
/// region on its slowest thread. Each item's result does not depend on who computes it.
final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextItem = 0
    let count: Int

    init(count: Int) { self.count = count }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextItem < count else { return nil }
        nextItem += 1
        return nextItem - 1
    }
}
