import Foundation
import Testing
import TestSupport

@Suite("hubkit serve")
struct ServeCommandTests {
    /// The `hubkit` executable built beside the test bundle.
    private var executable: String {
        let dir = (CommandLine.arguments[0] as NSString).deletingLastPathComponent
        return dir + "/hubkit"
    }

    @Test("prints the endpoint on stdout and serves the folder until killed")
    func serve() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build hubkit first (swift build --build-tests)")
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.addRepository("org/cli", textFiles: ["config.json": "{\"cli\":true}"])
        let out = fixture.root + "/../" + UUID().uuidString + ".out"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", fixture.root, "--port", "0"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        var endpoint = ""
        let deadline = Date().addingTimeInterval(20)
        while endpoint.isEmpty, Date() < deadline, process.isRunning {
            let textOut = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            if textOut.contains("\n") { endpoint = String(textOut.prefix { $0 != "\n" }) }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(endpoint.hasPrefix("http://127.0.0.1:"))
        let reply = try await RawHTTP.send("GET", endpoint + "/org/cli/resolve/main/config.json")
        #expect(reply.status == 200)
        #expect(text(reply.body) == "{\"cli\":true}")
    }

    @Test("refuses a missing folder with a message and a failure exit status")
    func missingRoot() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build hubkit first (swift build --build-tests)")
        let output = try await Subprocess.run(executable, ["serve", "/nonexistent/hubkit-root"], timeout: 20)
        #expect(output.status != 0)
        #expect(output.stderr.contains("is not a folder"))
        #expect(output.stdout.isEmpty)
    }
}
