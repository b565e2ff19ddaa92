import DurableFiles
import Foundation

/// One line of a run's `log.jsonl`: what training did, written as it happens and read back by `idgenrec report`.
///
/// Each line is a flat JSON object whose `event` says which kind it is; `time` is when it was logged:
///
///     {"event": "step", "phase": "recommender-1", "step": 40, "loss": 3.2, "learning_rate": 0.001, "time": "..."}
///     {"event": "epoch", "phase": "recommender-1", "epoch": 2, "loss": 3.1, "steps": 80, "time": "..."}
///     {"event": "validation", "phase": "recommender-1", "metrics": {"hr@10": 0.05, ...}, "loss": 4.1, "matrix_precision": "float32", ...}
///     {"event": "ids", "phase": "warm-start", "design": "learned", "summary": {"items": 1000, ...}, "time": "..."}
public struct RunEvent: Codable, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The mean training loss of the steps since the previous point, and the learning rate at `step`.
        case step(step: Int, loss: Double, learningRate: Double)
        /// An epoch's mean training loss, and the phase's steps so far.
        case epoch(epoch: Int, loss: Double, steps: Int)
        /// Metrics on validation users after a recommender phase, the teacher-forced validation loss, and the
        /// matrix products' precision they were measured with.
        case validation(metrics: [String: Double], loss: Double?, matrixPrecision: String?)
        /// The statistics of a new set of IDs (``IDStatistics/values``, plus `changed_ids` after a regeneration).
        case ids(design: String, summary: [String: Double])
    }

    public var phase: TrainingPhase
    public var kind: Kind
    public var time: Date?

    public init(phase: TrainingPhase, _ kind: Kind, time: Date? = Date()) {
        self.phase = phase
        self.kind = kind
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case event, phase, time, step, loss, learningRate = "learning_rate", epoch, steps, metrics
        case matrixPrecision = "matrix_precision", design, summary
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        phase = try c.decode(TrainingPhase.self, forKey: .phase)
        time = try c.decodeIfPresent(String.self, forKey: .time).flatMap { ISO8601DateFormatter().date(from: $0) }
        switch try c.decode(String.self, forKey: .event) {
        case "step":
            kind = .step(step: try c.decode(Int.self, forKey: .step), loss: try c.decodeLoss(.loss),
                         learningRate: try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? 0)
        case "epoch":
            kind = .epoch(epoch: try c.decode(Int.self, forKey: .epoch), loss: try c.decodeLoss(.loss),
                          steps: try c.decodeIfPresent(Int.self, forKey: .steps) ?? 0)
        case "validation":
            kind = .validation(metrics: try c.decode([String: Double].self, forKey: .metrics),
                               loss: try c.contains(.loss) ? c.decodeLoss(.loss) : nil,
                               matrixPrecision: try c.decodeIfPresent(String.self, forKey: .matrixPrecision))
        case "ids":
            kind = .ids(design: try c.decodeIfPresent(String.self, forKey: .design) ?? "", summary: try c.decode([String: Double].self, forKey: .summary))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .event, in: c, debugDescription: "\"\(other)\" is not a run event")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(phase, forKey: .phase)
        if let time { try c.encode(ISO8601DateFormatter().string(from: time), forKey: .time) }
        switch kind {
        case let .step(step, loss, learningRate):
            try c.encode("step", forKey: .event)
            try c.encode(step, forKey: .step); try c.encodeLoss(loss, .loss); try c.encode(learningRate, forKey: .learningRate)
        case let .epoch(epoch, loss, steps):
            try c.encode("epoch", forKey: .event)
            try c.encode(epoch, forKey: .epoch); try c.encodeLoss(loss, .loss); try c.encode(steps, forKey: .steps)
        case let .validation(metrics, loss, matrixPrecision):
            try c.encode("validation", forKey: .event)
            try c.encode(metrics, forKey: .metrics)
            if let loss { try c.encodeLoss(loss, .loss) }
            try c.encodeIfPresent(matrixPrecision, forKey: .matrixPrecision)
        case let .ids(design, summary):
            try c.encode("ids", forKey: .event)
            try c.encode(design, forKey: .design); try c.encode(summary, forKey: .summary)
        }
    }

    /// The log's lines, in order; a line that is not an event is an error naming it.
    public static func read(from url: URL) throws -> [RunEvent] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw IDGenRecError.invalidRun(path: url.path, reason: "no training log here: is this a run folder made by `idgenrec train`?")
        }
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").enumerated().map { offset, line in
            do { return try decoder.decode(RunEvent.self, from: Data(line.utf8)) } catch {
                throw IDGenRecError.invalidFile(path: url.path, line: offset + 1, reason: "not a run event (\(Self.describe(error)))")
            }
        }
    }

    /// Appends the event to a log as one line (the log is a record, not a checkpoint: an append, no swap).
    func append(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = try encoder.encode(self) + Data("\n".utf8)
        if let handle = try? FileHandle(forWritingTo: url) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } else {
            try AtomicFile.write(line, to: url)
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        default: return "\(error)"
        }
    }
}

/// A loss that diverged is logged as JSON `null` (JSON has no NaN) and read back as NaN.
private extension KeyedDecodingContainer {
    func decodeLoss(_ key: Key) throws -> Double { try decodeIfPresent(Double.self, forKey: key) ?? .nan }
}

private extension KeyedEncodingContainer {
    mutating func encodeLoss(_ loss: Double, _ key: Key) throws {
        if loss.isFinite { try encode(loss, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
