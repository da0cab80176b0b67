import Foundation
import ModelHub

extension ModelSource {
    /// `convert`'s source when no `--revision` is given: the cached `main` snapshot, unless it holds
    /// PyTorch `.bin` weights and no safetensors (or is not cached) while a cached snapshot of a pull
    /// request (`refs/pr/N`, newest first) holds the Hub's safetensors conversion (with its index):
    /// then that one, said on stderr. `--revision main` reads the `.bin` files. No network.
    static func resolveForConvert(_ source: String, revision: String?) throws -> Resolved {
        if let revision { return try resolve(source, revision: revision) }
        var isDir: ObjCBool = false
        guard !FileManager.default.fileExists(atPath: source, isDirectory: &isDir), let repo = RepoID(source) else {
            return try resolve(source, revision: "main")
        }
        let main = try? resolve(source, revision: "main")
        if let main, hasWeights(main.folder, suffix: ".safetensors") || !hasWeights(main.folder, suffix: ".bin") { return main }
        let prs = (try? FileManager.default.contentsOfDirectory(atPath: CacheLayout(root: cacheRoot).repoFolder(repo) + "/refs/refs/pr")) ?? []
        for n in prs.compactMap({ Int($0) }).sorted(by: >) {
            guard let pr = try? resolve(source, revision: "refs/pr/\(n)"),
                  FileManager.default.fileExists(atPath: pr.folder + "/model.safetensors.index.json") else { continue }
            StandardError.write("hubkit: \(repo)'s main branch \(main == nil ? "is not cached" : "has only PyTorch .bin weights"); converting refs/pr/\(n), the Hub's safetensors conversion (pass --revision main for the .bin files)\n")
            return pr
        }
        return try main ?? resolve(source, revision: "main")
    }

    private static func hasWeights(_ folder: String, suffix: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains { $0.hasSuffix(suffix) }
    }
}
