import Foundation
import ModelHub

/// An existing huggingface_hub cache served as a mirror: refs from `refs/`, files from
/// `snapshots/<commit>/` (symlinks whose blob names already are the etags, so nothing is hashed
/// unless a snapshot holds plain copies). Only what the cache holds is served: a partially
/// downloaded snapshot is a partial repository.
struct CacheSource: RepositorySource {
    let layout: CacheLayout

    func repository(_ id: RepoID) throws -> ServedRepository? {
        let folder = layout.repoFolder(id)
        guard let status = FileStatus(path: folder), status.isDirectory else { return nil }
        let settings = try RepoSettings.load(folder: folder)
        var refs: [ServedRef] = []
        var referenced = Set<String>()
        for (name, _, _) in listFiles(in: folder + "/refs", skipSettings: false) {
            guard let text = try? String(contentsOfFile: folder + "/refs/" + name, encoding: .utf8) else { continue }
            let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let snapshot = layout.snapshotFolder(id, commit: commit)
            guard GitObjects.isHex(commit, count: 40), FileStatus(path: snapshot)?.isDirectory == true else { continue }
            refs.append(ServedRef(name: name, kind: RefKind.of(name), location: .snapshot(commit: commit, folder: snapshot)))
            referenced.insert(commit)
        }
        let snapshotNames = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/snapshots")) ?? []
        let loose = snapshotNames.sorted().filter { GitObjects.isHex($0, count: 40) && !referenced.contains($0) }.map {
            RevisionLocation.snapshot(commit: $0, folder: layout.snapshotFolder(id, commit: $0))
        }
        return ServedRepository(id: id, settings: settings, refs: refs, tags: settings.tags ?? [:], looseSnapshots: loose)
    }

    func allRepositoryIDs() -> [RepoID] {
        ((try? FileManager.default.contentsOfDirectory(atPath: layout.root)) ?? []).sorted().compactMap { folder in
            let parts = folder.components(separatedBy: "--")
            guard parts.count == 3, parts[0] == "models" else { return nil }
            return RepoID(parts[1] + "/" + parts[2])
        }
    }
}
