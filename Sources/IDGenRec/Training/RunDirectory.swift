import Foundation
import RecData
import T5
import TensorEngine
import Tokenization

/// A training run on disk:
///
///     RUN/config.json          the training configuration
///     RUN/log.jsonl            one JSON object per logged event (losses, validation metrics)
///     RUN/checkpoint/          the latest consistent state, replaced whole (write beside, then rename):
///         state.json           phases done, epoch within the current phase, elapsed time
///         tokenizer.model      the SentencePiece model both T5s read
///         generator/           the ID generator (transformers' layout)
///         recommender/         the recommender (transformers' layout)
///         ids.jsonl            the current item-ID dictionary
///         items.jsonl          the catalogue's items (for titles in recommendations)
///         optimizer.safetensors  moments of the phase's optimizer, when stopped inside a phase
public struct RunDirectory: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    public var configurationURL: URL { url.appendingPathComponent("config.json") }
    public var logURL: URL { url.appendingPathComponent("log.jsonl") }
    public var checkpointURL: URL { url.appendingPathComponent("checkpoint") }
    public var stateURL: URL { checkpointURL.appendingPathComponent("state.json") }

    /// Whether the run has a checkpoint to resume or use.
    public var hasCheckpoint: Bool { FileManager.default.fileExists(atPath: stateURL.path) }

    /// Appends one event to the log.
    public func log(_ event: [String: Any]) {
        var object = event
        object["time"] = ISO8601DateFormatter().string(from: Date())
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        if let handle = try? FileHandle(forWritingTo: logURL) {
            handle.seekToEndOfFile()
            handle.write(data + Data("\n".utf8))
            try? handle.close()
        } else {
            try? (data + Data("\n".utf8)).write(to: logURL)
        }
    }
}

/// Where training stands; saved last in a checkpoint.
public struct TrainingState: Codable, Sendable, Equatable {
    /// Phases finished, in order (`warm-start`, `recommender-1`, `ids-2`, ...).
    public var completedPhases: [String] = []
    /// Epochs finished in the phase after the completed ones.
    public var epochsInPhase = 0
    /// Optimizer updates taken in that phase (the schedule continues from here).
    public var stepsInPhase = 0
    /// Training time so far, resumed runs included.
    public var elapsedSeconds: Double = 0
    /// Latest validation metrics.
    public var validation: [String: Double] = [:]

    public init() {}
}

/// The models and dictionary a checkpoint holds.
public struct Checkpoint {
    public var state: TrainingState
    public var tokenizer: SentencePieceTokenizer
    public var generator: T5Model
    public var recommender: T5Model
    public var ids: IDDictionary
    public var items: [Item]
    public var optimizerState: (step: Int, tensors: [String: Tensor])?

    public init(state: TrainingState, tokenizer: SentencePieceTokenizer, generator: T5Model, recommender: T5Model,
                ids: IDDictionary, items: [Item], optimizerState: (step: Int, tensors: [String: Tensor])? = nil) {
        self.state = state; self.tokenizer = tokenizer; self.generator = generator; self.recommender = recommender
        self.ids = ids; self.items = items; self.optimizerState = optimizerState
    }
}

extension RunDirectory {
    /// Writes a complete checkpoint beside the current one, then swaps it in: a crash leaves the old one whole.
    public func save(_ checkpoint: Checkpoint) throws {
        let fileManager = FileManager.default
        let staging = url.appendingPathComponent(".checkpoint-new"), retired = url.appendingPathComponent(".checkpoint-old")
        try? fileManager.removeItem(at: staging)
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        try checkpoint.tokenizer.serializedModel().write(to: staging.appendingPathComponent("tokenizer.model"))
        try checkpoint.generator.save(to: staging.appendingPathComponent("generator"))
        try checkpoint.recommender.save(to: staging.appendingPathComponent("recommender"))
        try checkpoint.ids.write(to: staging.appendingPathComponent("ids.jsonl"), format: .jsonl)
        try Data(checkpoint.items.map { ProjectFormatWriter.jsonLine(for: $0) + "\n" }.joined().utf8)
            .write(to: staging.appendingPathComponent("items.jsonl"))
        if let optimizer = checkpoint.optimizerState {
            try SafeTensors.write(optimizer.tensors, to: staging.appendingPathComponent("optimizer.safetensors"),
                                  metadata: ["step": "\(optimizer.step)"])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(checkpoint.state).write(to: staging.appendingPathComponent("state.json"))
        try? fileManager.removeItem(at: retired)
        if fileManager.fileExists(atPath: checkpointURL.path) { try fileManager.moveItem(at: checkpointURL, to: retired) }
        try fileManager.moveItem(at: staging, to: checkpointURL)
        try? fileManager.removeItem(at: retired)
    }

    /// Loads the checkpoint; every missing or damaged file is an error naming it.
    public func loadCheckpoint() throws -> Checkpoint {
        guard hasCheckpoint else {
            throw IDGenRecError.invalidRun(path: url.path, reason: "no checkpoint here (expected \(stateURL.path)): is this a run folder made by `idgenrec train`?")
        }
        let state: TrainingState
        do { state = try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: stateURL)) } catch {
            throw IDGenRecError.invalidRun(path: stateURL.path, reason: "unreadable training state (\(error))")
        }
        let tokenizer = try SentencePieceTokenizer(contentsOf: checkpointURL.appendingPathComponent("tokenizer.model"))
        let generator = try T5Model.load(from: checkpointURL.appendingPathComponent("generator"))
        let recommender = try T5Model.load(from: checkpointURL.appendingPathComponent("recommender"))
        let ids = try IDDictionary.read(from: checkpointURL.appendingPathComponent("ids.jsonl"), tokenizer: tokenizer)
        let items = try Self.readItems(checkpointURL.appendingPathComponent("items.jsonl"))
        guard items.map(\.id) == ids.itemIDs else {
            throw IDGenRecError.invalidRun(path: checkpointURL.path, reason: "items.jsonl and ids.jsonl list different items")
        }
        var optimizerState: (step: Int, tensors: [String: Tensor])? = nil
        let optimizerURL = checkpointURL.appendingPathComponent("optimizer.safetensors")
        if FileManager.default.fileExists(atPath: optimizerURL.path) {
            optimizerState = (state.stepsInPhase, try SafeTensors.read(contentsOf: optimizerURL))
        }
        return Checkpoint(state: state, tokenizer: tokenizer, generator: generator, recommender: recommender, ids: ids,
                          items: items, optimizerState: optimizerState)
    }

    /// The catalogue items a run stored (project format lines).
    static func readItems(_ url: URL) throws -> [Item] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "missing or not UTF-8")
        }
        var items: [Item] = []
        for (offset, line) in text.split(separator: "\n").enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let id = object["item_id"] as? String else {
                throw IDGenRecError.invalidFile(path: url.path, line: offset + 1, reason: "expected a JSON object with \"item_id\"")
            }
            items.append(Item(id: id, title: object["title"] as? String, brand: object["brand"] as? String,
                              categories: object["categories"] as? [String] ?? [], description: object["description"] as? String,
                              keywords: object["keywords"] as? String))
        }
        return items
    }
}
