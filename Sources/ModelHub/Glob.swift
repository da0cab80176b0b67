/// File selection with huggingface_hub's `filter_repo_objects` semantics: Python `fnmatch`
/// patterns where `*` also crosses `/`, `?` is one character, `[seq]` / `[!seq]` a class;
/// a pattern ending in `/` means everything under that folder.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let tokens: [Token]

    private enum Token: Hashable, Sendable {
        case literal(Character)
        case any            // ?
        case star           // *
        case set(negated: Bool, items: [ClassItem])
    }

    private enum ClassItem: Hashable, Sendable {
        case char(Character)
        case range(Character, Character)
    }

    /// Compiles `pattern` (never fails: an unclosed `[` is a literal, as in fnmatch).
    public init(_ pattern: String) {
        self.pattern = pattern
        let p = Array(pattern.hasSuffix("/") ? pattern + "*" : pattern)
        var out: [Token] = []
        var i = 0
        while i < p.count {
            let c = p[i]
            if c == "*" {
                if out.last != .star { out.append(.star) }
                i += 1
            } else if c == "?" {
                out.append(.any)
                i += 1
            } else if c == "[" {
                // Like fnmatch.translate: find the closing ']' (a ']' right after '[' or '[!' is literal).
                var j = i + 1
                if j < p.count, p[j] == "!" { j += 1 }
                if j < p.count, p[j] == "]" { j += 1 }
                while j < p.count, p[j] != "]" { j += 1 }
                if j >= p.count {
                    out.append(.literal("["))
                    i += 1
                    continue
                }
                var k = i + 1
                var negated = false
                if p[k] == "!" { negated = true; k += 1 }
                var items: [ClassItem] = []
                while k < j {
                    if k + 2 < j, p[k + 1] == "-" {
                        items.append(.range(p[k], p[k + 2]))
                        k += 3
                    } else {
                        items.append(.char(p[k]))
                        k += 1
                    }
                }
                out.append(.set(negated: negated, items: items))
                i = j + 1
            } else {
                out.append(.literal(c))
                i += 1
            }
        }
        tokens = out
    }

    public var description: String { pattern }

    /// Whether the whole of `path` matches.
    public func matches(_ path: String) -> Bool {
        let s = Array(path)
        // Iterative wildcard matching with backtracking to the last star.
        var ti = 0, si = 0
        var starT = -1, starS = 0
        while si < s.count {
            if ti < tokens.count, tokens[ti] != .star, Glob.matchOne(tokens[ti], s[si]) {
                ti += 1
                si += 1
            } else if ti < tokens.count, tokens[ti] == .star {
                starT = ti
                starS = si
                ti += 1
            } else if starT >= 0 {
                ti = starT + 1
                starS += 1
                si = starS
            } else {
                return false
            }
        }
        while ti < tokens.count, tokens[ti] == .star { ti += 1 }
        return ti == tokens.count
    }

    private static func matchOne(_ t: Token, _ c: Character) -> Bool {
        switch t {
        case let .literal(l): return l == c
        case .any: return true
        case .star: return true
        case let .set(negated, items):
            let hit = items.contains { item in
                switch item {
                case let .char(x): return x == c
                case let .range(a, b): return a <= c && c <= b
                }
            }
            return hit != negated
        }
    }
}

/// Which files of a repository to fetch.
public struct FileSelection: Sendable {
    /// Patterns skipped by default in a model repository that has safetensors weights:
    /// the same weights in other formats, and Meta's `original/` checkpoints.
    public static let defaultExcludesWhenSafetensors = ["*.bin", "*.pt", "*.h5", "*.msgpack", "*.onnx", "original/"]

    /// Globs a file must match (any of them); empty means every file.
    public var include: [String]
    /// Globs that drop a file (applied last).
    public var exclude: [String]

    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    /// The paths to fetch: `include` (or everything) minus `exclude`; without `include`, the
    /// default set above is also excluded when any `*.safetensors` file exists.
    public func select(_ paths: [String]) -> [String] {
        let inc = include.map(Glob.init)
        var exc = exclude.map(Glob.init)
        if include.isEmpty, paths.contains(where: { $0.hasSuffix(".safetensors") }) {
            exc += FileSelection.defaultExcludesWhenSafetensors.map(Glob.init)
        }
        return paths.filter { p in
            (inc.isEmpty || inc.contains { $0.matches(p) }) && !exc.contains { $0.matches(p) }
        }
    }
}
