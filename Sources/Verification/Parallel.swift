import Dispatch

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
