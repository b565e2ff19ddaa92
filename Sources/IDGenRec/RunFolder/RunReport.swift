import Foundation

/// A run as one self-contained HTML page a person would open: loss and learning-rate curves per phase, the
/// validation metrics after each recommender phase, every evaluation found in the run folder (with the baselines
/// evaluated beside it), and the statistics of each generation of IDs. Inline SVG, inline CSS, no script, no
/// network: the file can be mailed or archived as it is.
///
/// Everything comes from what training and evaluation leave in the run folder: `log.jsonl` (``RunEvent``s),
/// `config.json`, `checkpoint/state.json` and `evaluation-*.json` (``EvaluationRecord``s).
public struct RunReport {
    /// One point of a phase's curves.
    public struct Step: Equatable {
        public var step: Int
        public var loss: Double
        public var learningRate: Double
    }

    public let run: RunDirectory
    /// Phases in the order they first appear in the log, each with its points (a resumed run's repeated steps
    /// keep their last value).
    public private(set) var phases: [(name: String, steps: [Step])] = []
    public private(set) var epochLosses: [(phase: String, epoch: Int, loss: Double)] = []
    public private(set) var validations: [(phase: String, metrics: [String: Double])] = []
    public private(set) var idStatistics: [(phase: String, design: String, summary: [String: Double])] = []
    public private(set) var evaluations: [(file: String, record: EvaluationRecord)] = []
    /// The run's configuration; `nil` when its `config.json` cannot be read (the report still shows the log).
    public private(set) var configuration: TrainingConfiguration?
    public private(set) var state: TrainingState?

    /// Reads the run folder; a missing log is an error naming it, an unreadable line or evaluation file an error naming it.
    public init(run: RunDirectory) throws {
        self.run = run
        var steps: [TrainingPhase: [Int: Step]] = [:], order: [TrainingPhase] = []
        for event in try run.events() {
            let phase = event.phase.description
            switch event.kind {
            case let .step(step, loss, learningRate):
                if steps[event.phase] == nil { order.append(event.phase) }
                steps[event.phase, default: [:]][step] = Step(step: step, loss: loss, learningRate: learningRate)
            case let .epoch(epoch, loss, _):
                epochLosses.append((phase, epoch, loss))
            case let .validation(metrics, _, _):
                validations.append((phase, metrics))
            case let .ids(design, summary):
                idStatistics.append((phase, design, summary))
            }
        }
        phases = order.map { phase in (phase.description, steps[phase]!.values.sorted { $0.step < $1.step }) }
        configuration = try? TrainingConfiguration.read(from: run.configurationURL)
        if let data = try? Data(contentsOf: run.stateURL) { state = try? JSONDecoder().decode(TrainingState.self, from: data) }
        evaluations = try run.evaluations()
    }

    /// The page.
    public func html() -> String {
        var body = "<h1>Run \(htmlEscaped(run.url.lastPathComponent))</h1>\n<p class=\"muted\">\(htmlEscaped(run.url.path))</p>\n"
        body += summarySection()
        body += "<h2>Training</h2>\n"
        if phases.isEmpty { body += "<p>No per-step losses in the log (a run made before they were logged).</p>\n" }
        for (name, steps) in phases {
            body += "<section class=\"phase\"><h3>\(htmlEscaped(name))</h3>\n<div class=\"charts\">"
            body += Self.lineChart(steps.map { (Double($0.step), $0.loss) }, title: "loss per token", color: "#1f6feb")
            body += Self.lineChart(steps.map { (Double($0.step), $0.learningRate) }, title: "learning rate", color: "#b35900")
            body += "</div>"
            let epochs = epochLosses.filter { $0.phase == name }
            if !epochs.isEmpty {
                body += "<p class=\"muted\">epoch mean loss: " + epochs.map { "\($0.epoch): \(String(format: "%.4f", $0.loss))" }.joined(separator: " · ") + "</p>"
            }
            body += "</section>\n"
        }
        body += validationSection() + decodingSection() + evaluationSection() + idSection()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>idgenrec report: \(htmlEscaped(run.url.lastPathComponent))</title>
            <style>
            body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #1b1f24; padding: 0 1em; }
            h1 { font-size: 1.6em; margin-bottom: 0; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2em; margin-top: 1.6em; }
            h3 { margin: .8em 0 .3em; } .muted { color: #57606a; }
            table { border-collapse: collapse; margin: .5em 0; } th, td { border: 1px solid #d0d7de; padding: .25em .6em; text-align: right; }
            th:first-child, td:first-child { text-align: left; } th { background: #f6f8fa; } table.facts td { text-align: left; }
            .charts { display: flex; flex-wrap: wrap; gap: 1em; } svg { background: #fff; border: 1px solid #d0d7de; }
            </style></head>
            <body>
            \(body)
            </body></html>

            """
    }

    // MARK: Sections

    private func summarySection() -> String {
        var rows: [(String, String)] = []
        if let configuration {
            let shape = configuration.recommender
            rows.append(("ID design", configuration.ids.name))
            rows.append(("recommender", "modelWidth \(shape.modelWidth), encoderLayers \(shape.encoderLayers), decoderLayers \(shape.decoderLayers), "
                         + "heads \(shape.heads), feedForwardWidth \(shape.feedForwardWidth)"))
            rows += [("rounds", "\(configuration.rounds)"), ("recommenderEpochs", "\(configuration.recommenderEpochs)"),
                     ("recommenderLearningRate", "\(configuration.recommenderLearningRate)"), ("batchSize", "\(configuration.batchSize)")]
        }
        if let state {
            rows.append(("phases done", state.completedPhases.isEmpty ? "none" : state.completedPhases.map(\.description).joined(separator: ", ")))
            rows.append(("training time", Self.duration(state.elapsedSeconds)))
        }
        return Self.table(header: ["", ""], rows: rows.map { [$0.0, $0.1] }, headerless: true, className: "facts")
    }

    private func validationSection() -> String {
        guard !validations.isEmpty else { return "" }
        let keys = RankingMetrics.displayOrder(Set(validations.flatMap(\.metrics.keys)))
        return "<h2>Validation after each recommender phase</h2>\n"
            + Self.table(header: ["phase"] + keys, rows: validations.map { v in [v.phase] + keys.map { Self.metric(v.metrics[$0]) } })
    }

    /// The decoding search's combinations and what each scored, the choice marked (where the run made one).
    private func decodingSection() -> String {
        guard let choice = state?.decoding else { return "" }
        let rows = choice.probes.map { probe in
            [probe.settings == choice.chosen ? "chosen" : "", String(format: "%g", probe.settings.copyBonus), String(format: "%g", probe.settings.sequentialFusion),
             String(format: "%g", probe.settings.transitionShare), String(format: "%g", probe.settings.textShare),
             Self.metric(probe.metrics["ndcg@10"]), Self.metric(probe.metrics["hr@10"])]
        }
        return "<h2>Decoding settings chosen on validation</h2>\n<p class=\"muted\">\(choice.users) random validation users (seed \(choice.seed)); "
            + "the run decodes with the best NDCG@10.</p>\n"
            + Self.table(header: ["", "copy bonus", "fusion", "transition share", "text share", "ndcg@10", "hr@10"], rows: rows)
    }

    private func evaluationSection() -> String {
        guard !evaluations.isEmpty else { return "<h2>Evaluations</h2>\n<p>None yet: <code>idgenrec evaluate --model RUN --data DATA --baselines</code> adds one.</p>\n" }
        var html = "<h2>Evaluations</h2>\n"
        for (file, record) in evaluations {
            var rows: [(String, [String: Double])] = record.result.map { [("model", $0.metrics)] } ?? []
            for (name, metrics) in (record.baselines ?? [:]).sorted(by: { $0.key < $1.key }) {
                rows.append((name, metrics))
            }
            let keys = RankingMetrics.displayOrder(Set(rows.flatMap(\.1.keys)))
            let facts: [(String, String?)] = [("dataset", record.dataset), ("split", record.result?.split), ("users", record.result.map { "\($0.users)" }),
                                              ("protocol", record.evaluationProtocol), ("beams", record.beams.map { "\($0)" }),
                                              ("seconds", record.seconds.map { "\($0)" })]
            let factsLine = facts.compactMap { key, value in value.map { "\(key) \($0)" } }
            html += "<h3>\(htmlEscaped(file))</h3>\n<p class=\"muted\">\(htmlEscaped(factsLine.joined(separator: " · ")))</p>\n"
            html += Self.table(header: ["ranker"] + keys, rows: rows.map { row in [row.0] + keys.map { Self.metric(row.1[$0]) } })
        }
        return html
    }

    private func idSection() -> String {
        guard !idStatistics.isEmpty else { return "" }
        let keys = ["items", "mean_tokens", "max_tokens", "mean_words", "repeated_word_share", "repeated_token_share", "fallback_share", "changed_ids"]
        return "<h2>IDs after each generation</h2>\n"
            + Self.table(header: ["phase"] + keys, rows: idStatistics.map { entry in
                [entry.phase] + keys.map { key in entry.summary[key].map { $0 == $0.rounded() ? String(Int($0)) : String(format: "%.3f", $0) } ?? "" }
            })
    }

    // MARK: Drawing

    /// A line chart as inline SVG: the series scaled into the plot, its range written on the axes.
    static func lineChart(_ points: [(Double, Double)], title: String, color: String, width: Double = 520, height: Double = 220) -> String {
        let finite = points.filter { $0.0.isFinite && $0.1.isFinite }
        let left = 62.0, right = 12.0, top = 24.0, bottom = 30.0
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(htmlEscaped(title))\">"
        svg += "<text x=\"\(left)\" y=\"16\" font-size=\"13\" font-weight=\"600\">\(htmlEscaped(title))</text>"
        guard let minX = finite.map(\.0).min(), let maxX = finite.map(\.0).max(),
              let minY = finite.map(\.1).min(), let maxY = finite.map(\.1).max() else {
            return svg + "<text x=\"\(left)\" y=\"\(height / 2)\" font-size=\"12\">no data</text></svg>"
        }
        let spanX = max(maxX - minX, 1e-12), spanY = max(maxY - minY, abs(maxY) * 1e-6 + 1e-12)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ value: Double) -> Double { left + (value - minX) / spanX * plotWidth }
        func y(_ value: Double) -> Double { top + (1 - (value - minY) / spanY) * plotHeight }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#d0d7de\"/>"
        let path = finite.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" points=\"\(path)\"/>"
        let labels = [(minY, y(minY)), (maxY, y(maxY))]
        for (value, position) in labels {
            svg += "<text x=\"\(left - 6)\" y=\"\(String(format: "%.1f", position + 4))\" font-size=\"11\" text-anchor=\"end\">\(Self.number(value))</text>"
        }
        svg += "<text x=\"\(left)\" y=\"\(height - 10)\" font-size=\"11\">step \(Int(minX))</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(height - 10)\" font-size=\"11\" text-anchor=\"end\">step \(Int(maxX))</text>"
        return svg + "</svg>"
    }

    static func number(_ value: Double) -> String {
        abs(value) >= 0.01 || value == 0 ? String(format: "%.3f", value) : String(format: "%.1e", value)
    }

    static func metric(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "" }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return "unknown" }   // a hand-edited state.json
        let total = Int(seconds.rounded())
        return total >= 3600 ? "\(total / 3600) h \(total % 3600 / 60) min" : "\(total / 60) min \(total % 60) s"
    }

    static func table(header: [String], rows: [[String]], headerless: Bool = false, className: String? = nil) -> String {
        var html = className.map { "<table class=\"\($0)\">" } ?? "<table>"
        if !headerless { html += "<tr>" + header.map { "<th>\(htmlEscaped($0))</th>" }.joined() + "</tr>" }
        for row in rows { html += "<tr>" + row.map { "<td>\(htmlEscaped($0))</td>" }.joined() + "</tr>" }
        return html + "</table>\n"
    }
}

/// Text made safe for HTML element content and attribute values.
fileprivate func htmlEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
