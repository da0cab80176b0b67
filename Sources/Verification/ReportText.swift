import Foundation

extension VerifyReport {
    /// A plain-text table for the terminal: tensors grouped by role (worst layer shown), failing
    /// tensors listed, per-block drift, logit metrics and the verdict.
    public func textTable() -> String {
        var lines: [String] = []
        lines.append("hubkit verify: \(candidate)")
        lines.append("reference:     \(reference)\(referenceFromCache ? " (cached reference run)" : "")")
        lines.append("file type:     \(fileType)")
        lines.append("")
        lines.append(pad("tensor", 20) + pad("type", 6) + lpad("count", 6) + lpad("rel RMSE (worst)", 18) + lpad("max |err|", 12) + lpad("cosine (min)", 14) + lpad("limit", 10) + "  ok")
        var groups: [(String, [TensorComparison])] = []
        for t in tensors {
            let role = t.name.split(separator: ".").dropFirst(t.layer == nil ? 0 : 2).dropLast().joined(separator: ".")
            let key = (t.layer == nil ? "" : "blk.*.") + (role.isEmpty ? t.name : role)
            if let i = groups.firstIndex(where: { $0.0 == key }) { groups[i].1.append(t) } else { groups.append((key, [t])) }
        }
        for (key, list) in groups {
            let worst = list.max { $0.relativeRMSE < $1.relativeRMSE }!
            let types = Set(list.map(\.type)).sorted().joined(separator: ",")
            lines.append(pad(key, 20) + pad(types, 6) + lpad("\(list.count)", 6) + lpad(fmt(worst.relativeRMSE), 18)
                         + lpad(fmt(list.map(\.maxAbs).max() ?? 0), 12) + lpad(String(format: "%.6f", list.map(\.cosine).min() ?? 0), 14)
                         + lpad(fmt(worst.limitRelativeRMSE), 10) + (list.allSatisfy(\.passed) ? "  ✓" : "  ✗"))
        }
        if !hiddenDrift.isEmpty {
            lines.append("")
            lines.append("hidden-state drift after each block (first \(hiddenTokens) positions, limit \(fmt(driftLimit))):")
            let cells = hiddenDrift.enumerated().map { String(format: "%3d: %@", $0.offset, fmt($0.element)) }
            for row in stride(from: 0, to: cells.count, by: 6) { lines.append("  " + cells[row..<min(row + 6, cells.count)].joined(separator: "   ")) }
        }
        if let l = logits {
            lines.append("")
            lines.append("logits over \(l.scoredTokens) scored tokens (\(l.chunks) chunk\(l.chunks == 1 ? "" : "s") of \(l.contextSize), second half scored)\(logitsJudged ? "" : " — not judged: reference is near-uniform (random weights)")")
            lines.append(String(format: "  KL divergence  mean %.6f  median %.6f  p99 %.6f  max %.6f", l.klMean, l.klMedian, l.klP99, l.klMax))
            lines.append(String(format: "  top-1 agreement %.2f%%", l.top1Agreement * 100))
            lines.append(String(format: "  perplexity  reference %.4f  file %.4f  Δ %+.4f (%+.3f%%)", l.perplexityReference, l.perplexityCandidate,
                                l.deltaPerplexity, l.deltaPerplexity / l.perplexityReference * 100))
            lines.append(String(format: "  speed  file %.1f tokens/s  (reference %.2f s%@)", candidateTokensPerSecond, referenceSeconds, referenceFromCache ? ", from cache" : ""))
        }
        lines.append("")
        if passed {
            lines.append("verdict: PASS — the file matches its source within the \(fileType) limits")
        } else {
            lines.append("verdict: FAIL")
            for f in failures.prefix(20) { lines.append("  - " + f) }
            if failures.count > 20 { lines.append("  … and \(failures.count - 20) more") }
        }
        return lines.joined(separator: "\n")
    }
}

func fmt(_ v: Double) -> String {
    if v == 0 { return "0" }
    if v.isNaN || v.isInfinite { return "\(v)" }
    return abs(v) >= 0.001 && abs(v) < 1000 ? String(format: "%.5f", v) : String(format: "%.3e", v)
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
