import Foundation
import TestSupport
import Testing
@testable import ModelHub

/// Whether this process may mount a small tmpfs (root on Linux): the only honest way to run out of disk.
private let canMountTmpfs: Bool = {
    #if os(Linux)
    return getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")
    #else
    return false
    #endif
}()

@Suite("Free disk space")
struct DiskSpaceTests {
    @Test("refuses a download that does not fit, naming need and available; --force tries anyway",
          .enabled(if: canMountTmpfs, "needs root to mount a 2 MiB tmpfs"))
    func tooSmall() async throws {
        let mountPoint = try TempDir("tmpfs")
        defer { mountPoint.remove() }
        let mounted = try await Subprocess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.path], timeout: 20)
        try #require(mounted.status == 0, "\(mounted.stderr)")
        var failure: Error?
        do { try await HubTestbed.run { bed in
            var request = bed.request(["model.safetensors"])
            request.destination = .cache(root: mountPoint.path + "/hub")
            do {
                _ = try await bed.download(request)
                Issue.record("a 3 MiB file fitted into 2 MiB")
            } catch let HubError.insufficientDiskSpace(path, needed, available) {
                #expect(path == mountPoint.path + "/hub" && needed == Int64(HubTestbed.modelSize) && available <= 2 << 20)
                #expect("\(HubError.insufficientDiskSpace(path: path, needed: needed, available: available))".contains("need 3.0 MiB"))
            }
            #expect(!bed.hub.requests.contains { $0.listener == .cdn })
            request.force = true
            await #expect(throws: HubError.self) { try await bed.download(request) }
            let blobs = (try? FileManager.default.contentsOfDirectory(atPath: mountPoint.path + "/hub/models--org--tiny/blobs")) ?? []
            #expect(!blobs.contains(HubTestbed.sha256(try bed.served("model.safetensors"))))
        } } catch { failure = error }
        _ = try? await Subprocess.run("/bin/umount", [mountPoint.path], timeout: 20)
        if let failure { throw failure }
    }
}
