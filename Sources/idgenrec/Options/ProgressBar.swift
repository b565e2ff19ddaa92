import Foundation
import IDGenRec

/// Draws training events on standard error: a bar with rate and ETA on a terminal, a line now and then otherwise.
final class ProgressBar {
    private var name = "", total = 0, started = Date(), lastDraw = Date.distantPast, lastQuarter = -1
    private let isTerminal = isatty(2) != 0

    func handle(_ event: TrainingEvent) {
        switch event {
        case .phaseStarted(let name, let steps):
            finishLine()
            self.name = name; total = steps; started = Date(); lastQuarter = -1
        case .step(let done, let total, let loss):
            draw(done: done, total: total, loss: loss)
        case .phaseFinished(let name, let summary):
            finishLine()
            let values = metricsLine(summary)
            write("\(name): \(values)\n")
        case .message(let text):
            finishLine()
            write(text + "\n")
        }
    }

    /// A callback for jobs that report (done, total).
    func counter(_ name: String) -> (Int, Int) -> Void {
        handle(.phaseStarted(name: name, steps: 0))
        return { done, total in self.draw(done: done, total: total, loss: .nan) }
    }

    func finishLine() {
        if isTerminal && total > 0 && lastDraw != .distantPast { write("\n") }
        lastDraw = .distantPast
        total = 0
    }

    private func draw(done: Int, total: Int, loss: Float) {
        self.total = total
        let now = Date(), elapsed = now.timeIntervalSince(started)
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let lossText = loss.isNaN ? "" : String(format: "  loss %.4f", loss)
        let fraction = min(max(Double(done) / Double(max(total, 1)), 0), 1)
        if isTerminal {
            guard now.timeIntervalSince(lastDraw) > 0.2 || done == total else { return }
            lastDraw = now
            let width = 30, filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            write(String(format: "\r%@ %@ %d/%d  %.1f/s  ETA %@%@\u{1B}[K", name, bar, done, total, rate, Self.clock(eta), lossText))
        } else {
            let quarter = Int(fraction * 4)
            guard quarter > lastQuarter else { return }
            lastQuarter = quarter
            lastDraw = now
            write(String(format: "%@: %d/%d  %.1f/s  elapsed %@  ETA %@%@\n", name, done, total, rate, Self.clock(elapsed), Self.clock(eta), lossText))
        }
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
