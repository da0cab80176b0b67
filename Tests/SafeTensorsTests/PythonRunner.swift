import Foundation

/// Runs `python3 -c script args…` with a timeout; output goes through temporary files (no pipe
/// deadlock) and an overrun child is killed with SIGKILL (Process.terminate is ignored under the
/// test runner's signal mask).
func runPython(_ script: String, _ args: [String] = [], timeout: TimeInterval = 120) throws -> (status: Int32, stdout: String, stderr: String) {
    let dir = NSTemporaryDirectory() + "hubkit-py-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    FileManager.default.createFile(atPath: dir + "/out", contents: nil)
    FileManager.default.createFile(atPath: dir + "/err", contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script] + args
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning {
        if Date() > deadline {
            kill(p.processIdentifier, SIGKILL)
            break
        }
        usleep(20_000)
    }
    while p.isRunning { usleep(10_000) }
    let out = String(decoding: FileManager.default.contents(atPath: dir + "/out") ?? Data(), as: UTF8.self)
    let err = String(decoding: FileManager.default.contents(atPath: dir + "/err") ?? Data(), as: UTF8.self)
    return (p.terminationStatus, out, err)
}
