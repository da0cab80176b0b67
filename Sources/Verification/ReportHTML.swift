import Foundation

extension VerifyReport {
    /// One self-contained HTML page (inline CSS and SVG, no scripts or external files): the
    /// verdict, per-tensor error by layer, per-block hidden-state drift, the KL histogram, tables.
    public func html() -> String {
        var body = ""
        let verdictClass = passed ? "pass" : "fail"
        body += "<h1>hubkit verify — <span class=\"\(verdictClass)\">\(passed ? "PASS" : "FAIL")</span></h1>\n"
        body += "<p class=\"meta\">file <code>\(esc(candidate))</code> (\(esc(fileType)))<br>reference <code>\(esc(reference))</code>\(referenceFromCache ? " (cached run)" : "")</p>\n"
        if !failures.isEmpty {
            body += "<ul class=\"failures\">" + failures.map { "<li>\(esc($0))</li>" }.joined() + "</ul>\n"
        }
        if let l = logits {
            body += "<table class=\"summary\"><tr><th>scored tokens</th><td>\(l.scoredTokens) (\(l.chunks) × \(l.contextSize), second half)</td></tr>"
            body += String(format: "<tr><th>KL mean / median / p99 / max</th><td>%.6f / %.6f / %.6f / %.6f</td></tr>", l.klMean, l.klMedian, l.klP99, l.klMax)
            body += String(format: "<tr><th>top-1 agreement</th><td>%.2f%%</td></tr>", l.top1Agreement * 100)
            body += String(format: "<tr><th>perplexity reference / file / Δ</th><td>%.4f / %.4f / %+.4f</td></tr>", l.perplexityReference, l.perplexityCandidate, l.deltaPerplexity)
            body += "<tr><th>logits judged</th><td>\(logitsJudged ? "yes" : "no — reference near-uniform (random weights)")</td></tr></table>\n"
        }
        body += "<h2>Per-tensor relative RMSE by layer</h2>\n" + tensorChart()
        body += "<h2>Hidden-state drift after each block</h2>\n" + driftChart()
        if let l = logits, !l.klValues.isEmpty { body += "<h2>KL divergence per scored token</h2>\n" + klHistogram(l.klValues) }
        body += "<h2>Tensors</h2>\n<table class=\"tensors\"><tr><th>tensor</th><th>type</th><th>rel RMSE</th><th>max |err|</th><th>cosine</th><th>limit</th><th></th></tr>"
        for t in tensors {
            body += "<tr class=\"\(t.passed ? "" : "bad")\"><td>\(esc(t.name))</td><td>\(t.type)</td><td>\(fmt(t.relativeRMSE))</td><td>\(fmt(t.maxAbs))</td>"
            body += String(format: "<td>%.6f</td>", t.cosine) + "<td>\(fmt(t.limitRelativeRMSE))</td><td>\(t.passed ? "✓" : "✗")</td></tr>"
        }
        body += "</table>\n"
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>hubkit verify: \(passed ? "PASS" : "FAIL")</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }
        h1 { font-size: 22px; } h2 { font-size: 16px; margin-top: 2em; }
        .pass { color: #fff; background: #1a7f37; padding: 0 .4em; border-radius: 4px; }
        .fail { color: #fff; background: #cf222e; padding: 0 .4em; border-radius: 4px; }
        .meta code { font-size: 12px; } .failures { color: #cf222e; }
        table { border-collapse: collapse; } th, td { padding: 2px 10px; text-align: left; border-bottom: 1px solid #eee; }
        .tensors td { font-family: ui-monospace, monospace; font-size: 12px; } tr.bad td { background: #ffebe9; }
        svg text { font: 11px system-ui, sans-serif; fill: #444; }
        </style></head><body>
        \(body)
        </body></html>
        """
    }

    private func tensorChart() -> String {
        let roles = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]
        let colors = ["#0969da", "#8250df", "#1a7f37", "#bf8700", "#cf222e", "#e16f24", "#57606a"]
        let layered = tensors.filter { $0.layer != nil && !$0.name.contains("norm") }
        let layers = (layered.compactMap(\.layer).max() ?? 0) + 1
        var values = layered.map(\.relativeRMSE).filter { $0 > 0 }
        values += layered.map(\.limitRelativeRMSE).filter { $0 > 0 && $0 < 1 }
        guard !values.isEmpty else { return "<p>all tensors are exact (relative RMSE 0)</p>" }
        let lo = log10(max(1e-9, values.min()! / 2)), hi = log10(max(2, values.max()! * 1.5))
        let chart = Chart(width: 900, height: 280, xMin: -0.5, xMax: Double(layers) - 0.5, yMin: lo, yMax: hi)
        var svg = chart.frame(xLabel: "layer", yLabel: "relative RMSE (log)", yTicks: stride(from: ceil(lo), through: floor(hi), by: 1).map { ($0, "1e\(Int($0))") },
                              xTicks: (0..<layers).filter { layers <= 32 || $0 % 4 == 0 }.map { (Double($0), "\($0)") })
        for (i, role) in roles.enumerated() {
            let pts = layered.filter { $0.name.hasSuffix("." + role + ".weight") }.sorted { ($0.layer ?? 0) < ($1.layer ?? 0) }
            guard !pts.isEmpty else { continue }
            let xy = pts.map { (Double($0.layer ?? 0), log10(max($0.relativeRMSE, pow(10, lo)))) }
            svg += chart.polyline(xy, color: colors[i])
            for (p, t) in zip(xy, pts) { svg += chart.dot(p, color: t.passed ? colors[i] : "#cf222e", r: t.passed ? 3 : 5) }
            svg += "<text x=\"\(70 + i * 110)\" y=\"14\" fill=\"\(colors[i])\" style=\"fill:\(colors[i])\">● \(role)</text>"
        }
        for lim in Set(layered.map(\.limitRelativeRMSE)) where lim > 0 {
            svg += chart.hline(log10(lim), label: "limit \(fmt(lim))")
        }
        return chart.wrap(svg)
    }

    private func driftChart() -> String {
        guard !hiddenDrift.isEmpty else { return "<p>not measured</p>" }
        let top = max(driftLimit * 1.2, (hiddenDrift.max() ?? 0) * 1.1, 1e-12)
        let chart = Chart(width: 900, height: 220, xMin: -0.5, xMax: Double(hiddenDrift.count) - 0.5, yMin: 0, yMax: top)
        var svg = chart.frame(xLabel: "block", yLabel: "relative error", yTicks: (0...4).map { (top * Double($0) / 4, String(format: "%.3g", top * Double($0) / 4)) },
                              xTicks: hiddenDrift.indices.filter { hiddenDrift.count <= 32 || $0 % 4 == 0 }.map { (Double($0), "\($0)") })
        for (i, d) in hiddenDrift.enumerated() {
            svg += chart.bar(x: Double(i), width: 0.7, value: d, color: d > driftLimit ? "#cf222e" : "#0969da")
        }
        svg += chart.hline(driftLimit, label: "limit \(fmt(driftLimit))")
        return chart.wrap(svg)
    }

    private func klHistogram(_ kl: [Double]) -> String {
        let bins = 30
        let top = max(kl.max() ?? 0, 1e-12)
        var counts = [Int](repeating: 0, count: bins)
        for v in kl { counts[min(bins - 1, Int(v / top * Double(bins)))] += 1 }
        let maxCount = Double(counts.max() ?? 1)
        let chart = Chart(width: 900, height: 200, xMin: 0, xMax: top, yMin: 0, yMax: maxCount * 1.1)
        var svg = chart.frame(xLabel: "KL(reference ‖ file) per token", yLabel: "tokens", yTicks: [(0, "0"), (maxCount, "\(Int(maxCount))")],
                              xTicks: (0...5).map { (top * Double($0) / 5, String(format: "%.3g", top * Double($0) / 5)) })
        for (i, c) in counts.enumerated() {
            svg += chart.bar(x: (Double(i) + 0.5) * top / Double(bins), width: top / Double(bins) * 0.9, value: Double(c), color: "#8250df")
        }
        return chart.wrap(svg)
    }
}

/// Minimal SVG plotting: a data→pixel mapping with axes, bars, lines and reference lines.
struct Chart {
    let width: Double, height: Double, xMin: Double, xMax: Double, yMin: Double, yMax: Double
    let left = 70.0, right = 20.0, top = 24.0, bottom = 40.0

    func px(_ x: Double) -> Double { left + (x - xMin) / max(xMax - xMin, 1e-30) * (width - left - right) }
    func py(_ y: Double) -> Double { height - bottom - (min(max(y, yMin), yMax) - yMin) / max(yMax - yMin, 1e-30) * (height - top - bottom) }

    func wrap(_ inner: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">\(inner)</svg>\n"
    }

    func frame(xLabel: String, yLabel: String, yTicks: [(Double, String)], xTicks: [(Double, String)]) -> String {
        var s = "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(height - top - bottom)\" fill=\"#fafafa\" stroke=\"#ccc\"/>"
        for (v, label) in yTicks {
            s += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(py(v))\" y2=\"\(py(v))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(left - 6)\" y=\"\(py(v) + 4)\" text-anchor=\"end\">\(esc(label))</text>"
        }
        for (v, label) in xTicks { s += "<text x=\"\(px(v))\" y=\"\(height - bottom + 14)\" text-anchor=\"middle\">\(esc(label))</text>" }
        s += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">\(esc(xLabel))</text>"
        s += "<text x=\"14\" y=\"\((top + height - bottom) / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 14 \((top + height - bottom) / 2))\">\(esc(yLabel))</text>"
        return s
    }

    func bar(x: Double, width w: Double, value: Double, color: String) -> String {
        let x0 = px(x - w / 2), x1 = px(x + w / 2), y0 = py(value), y1 = py(yMin)
        return "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(max(1, x1 - x0))\" height=\"\(max(0, y1 - y0))\" fill=\"\(color)\"/>"
    }

    func polyline(_ pts: [(Double, Double)], color: String) -> String {
        "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(pts.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " "))\"/>"
    }

    func dot(_ p: (Double, Double), color: String, r: Double) -> String {
        "<circle cx=\"\(px(p.0))\" cy=\"\(py(p.1))\" r=\"\(r)\" fill=\"\(color)\"/>"
    }

    func hline(_ y: Double, label: String) -> String {
        "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(py(y))\" y2=\"\(py(y))\" stroke=\"#cf222e\" stroke-dasharray=\"5,4\"/>"
            + "<text x=\"\(left + 4)\" y=\"\(py(y) - 4)\" style=\"fill:#cf222e\">\(esc(label))</text>"
    }
}

func esc(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
