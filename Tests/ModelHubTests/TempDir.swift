import Foundation

/// A temporary folder deleted by `remove()`.
struct TempDir {
    let path: String

    init(_ label: String = "t") throws {
        path = FileManager.default.temporaryDirectory.path + "/hubkit-\(label)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
