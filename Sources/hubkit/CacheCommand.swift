import ArgumentParser
import Foundation
import ModelHub

/// `hubkit cache ls|verify|rm`: inspect and tidy the Hugging Face cache.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List, verify and remove cached repositories.",
        subcommands: [List.self, Verify.self, Remove.self]
    )

    struct CacheLocation: ParsableArguments {
        @Option(help: ArgumentHelp("Hub cache root (default: HF_HUB_CACHE, else $HF_HOME/hub).", valueName: "dir"))
        var cacheDir: String?

        var cache: HubCache { HubCache(root: absolute(cacheDir ?? HubEnvironment().hubCache)) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List cached repositories, revisions and sizes.")
        @OptionGroup var location: CacheLocation
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let repos = location.cache.repositories()
            if json { try printJSON(repos); return }
            for r in repos {
                print("\(r.repo)\t\(formatBytes(r.size))\t\(r.revisions.count) revision(s)")
                for rev in r.revisions {
                    print("  \(rev.commit)\t\(rev.files) files\t\(rev.refs.isEmpty ? "(detached)" : rev.refs.joined(separator: ", "))")
                }
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify", abstract: "Re-hash a repository's blobs against their names (exit 3 when any is corrupt).")
        @Argument(help: "Repository id, namespace/name.") var repo: String
        @OptionGroup var location: CacheLocation
        @Flag(help: "Print JSON.") var json = false

        struct Report: Encodable {
            var repo: String
            var checked: Int
            var corrupt: [HubCache.CorruptBlob]
        }

        func run() throws {
            do {
                let id = try RepoID(parsing: repo)
                let (checked, corrupt) = try location.cache.verify(id)
                if json { try printJSON(Report(repo: id.description, checked: checked, corrupt: corrupt)) } else {
                    for c in corrupt { print("corrupt: blobs/\(c.blob) hashes to \(c.actual)") }
                    print("\(id): \(checked) blobs checked, \(corrupt.count) corrupt")
                }
                if !corrupt.isEmpty {
                    StandardError.write("hubkit: \(corrupt.count) corrupt blob(s); remove them with `hubkit cache rm \(id)` and download again\n")
                    throw ExitCode(3)
                }
            } catch let e as ExitCode {
                throw e
            } catch {
                throw reportFailure(error)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove a repository, or one revision of it (repo@revision) and the blobs only it used.")
        @Argument(help: "namespace/name or namespace/name@revision.") var target: String
        @OptionGroup var location: CacheLocation

        func run() throws {
            do {
                let parts = target.split(separator: "@", maxSplits: 1).map(String.init)
                let id = try RepoID(parsing: parts[0])
                let freed = try location.cache.remove(id, revision: parts.count > 1 ? parts[1] : nil)
                StandardError.write("removed \(target), freed \(formatBytes(freed))\n")
            } catch {
                throw reportFailure(error)
            }
        }
    }
}
