import ModelHub

/// The hint `download` prints when it fetched PyTorch `.bin` weights and no safetensors, and the
/// Hub's conversion bot has a safetensors pull request for the repository.
enum DownloadHint {
    /// One line for stderr, or nil. Costs the refs request plus two per pull request tried, only
    /// when the downloaded files are `.bin` without safetensors.
    static func conversionPullRequest(_ result: DownloadResult, repo: RepoID, client: HubClient) -> String? {
        let paths = result.files.map(\.path)
        guard !result.offline, paths.contains(where: { $0.hasSuffix(".bin") }), !paths.contains(where: { $0.hasSuffix(".safetensors") }),
              !result.revision.hasPrefix("refs/pr/"),
              let pr = try? client.conversionPullRequest(repo) else { return nil }
        return "hint: \(repo) has a safetensors conversion in \(pr.revision) (the Hub's bot); `hubkit download \(repo) --revision \(pr.revision)` fetches it, `hubkit pull \(repo)` uses it"
    }
}
