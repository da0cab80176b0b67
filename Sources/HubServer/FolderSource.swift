import Foundation
import ModelHub

/// Repositories as plain folders: `ROOT/ns/name/...` holds the files of `main`, an optional
/// `.hubkit-repo.json` (``RepoSettings``) adds tags, revisions, renames and access rules.
struct FolderSource: RepositorySource {
    let root: String

    func repository(_ id: RepoID) throws -> ServedRepository? {
        guard let namespace = id.namespace, id.kind == .model else { return nil }
        let folder = root + "/" + namespace + "/" + id.name
        guard let status = FileStatus(path: folder), status.isDirectory else { return nil }
        let settings = try RepoSettings.load(folder: folder)
        var refs = [ServedRef(name: "main", kind: .branch, location: .folder(folder, skipSettings: true))]
        let rootReal = realPath(root)
        for (name, relative) in (settings.revisions ?? [:]).sorted(by: { $0.key < $1.key }) where name != "main" {
            let target = relative.hasPrefix("/") ? relative : folder + "/" + relative
            let real = realPath(target)
            guard real.hasPrefix(rootReal + "/") else {
                throw HubServerError.revisionOutsideRoot(repo: id.description, revision: name, path: relative)
            }
            guard let s = FileStatus(path: real), s.isDirectory else { continue }
            refs.append(ServedRef(name: name, kind: RefKind.of(name), location: .folder(real, skipSettings: true)))
        }
        return ServedRepository(id: id, settings: settings, refs: refs, tags: settings.tags ?? [:], looseSnapshots: [])
    }

    func allRepositoryIDs() -> [RepoID] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted().flatMap { namespace in
            ((try? fm.contentsOfDirectory(atPath: root + "/" + namespace)) ?? []).sorted().compactMap { name in
                FileStatus(path: root + "/" + namespace + "/" + name)?.isDirectory == true ? RepoID(namespace + "/" + name) : nil
            }
        }
    }
}

/// The canonical absolute path (symlinks and `..` resolved); the input when it does not exist.
func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}
