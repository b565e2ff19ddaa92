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
///         generator/           the ID generator, in transformers' layout: config.json, generation_config.json,
///                              model.safetensors, spiece.model, tokenizer_config.json, special_tokens_map.json, README.md
///         recommender/         the recommender, the same files
///         ids.jsonl            the current item-ID dictionary
///         items.jsonl          the catalogue's items (for titles in recommendations)
///         optimizer.safetensors  moments of the phase's optimizer, when stopped inside a phase
///     RUN/catalogues.json      the datasets the run was trained on (see ``TrainingCatalogue``)
///     RUN/zero-shot/           IDs written for catalogues the run serves without training (see ``ZeroShotIDCache``)
public struct RunDirectory: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    public var configurationURL: URL { url.appendingPathComponent("config.json") }
    public var logURL: URL { url.appendingPathComponent("log.jsonl") }
    public var checkpointURL: URL { url.appendingPathComponent("checkpoint") }
    public var stateURL: URL { checkpointURL.appendingPathComponent("state.json") }

    /// Where a checkpoint is written before it is swapped in, and where the one it replaces waits meanwhile.
    var stagingURL: URL { url.appendingPathComponent(".checkpoint-new") }
    var retiredURL: URL { url.appendingPathComponent(".checkpoint-old") }

    /// Whether the run has a checkpoint to resume or use, counting one a kill left in the middle of a swap.
    public var hasCheckpoint: Bool {
        [checkpointURL, stagingURL, retiredURL].contains { Self.isWhole($0) }
    }

    /// A checkpoint folder is whole once its `state.json` exists: `save` writes that file last.
    static func isWhole(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("state.json").path)
    }

    public var cataloguesURL: URL { url.appendingPathComponent("catalogues.json") }

    /// Records the datasets the run is trained on (written once, when the run starts).
    public func recordCatalogues(_ catalogues: [TrainingCatalogue]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(catalogues), to: cataloguesURL)
    }

    /// The datasets the run was trained on; empty for a run that did not record them.
    public func trainingCatalogues() throws -> [TrainingCatalogue] {
        guard let data = try? Data(contentsOf: cataloguesURL) else { return [] }
        do { return try JSONDecoder().decode([TrainingCatalogue].self, from: data) } catch {
            throw IDGenRecError.invalidFile(path: cataloguesURL.path, line: nil, reason: "not a list of catalogues (\(error))")
        }
    }

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

/// A dataset a run was trained on: what `evaluate --zero-shot` checks a target against, and what a model card states.
public struct TrainingCatalogue: Codable, Sendable, Equatable {
    /// The dataset folder's name (`beauty`); users of a merged run carry it as their prefix.
    public var name: String
    public var items: Int
    public var users: Int
    public var interactions: Int

    public init(name: String, items: Int, users: Int, interactions: Int) {
        self.name = name; self.items = items; self.users = users; self.interactions = interactions
    }

    public init(name: String, dataset: Dataset) {
        self.init(name: name, items: dataset.numberOfItems, users: dataset.numberOfUsers, interactions: dataset.numberOfInteractions)
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
    /// Training saves float32 weights; a copy for serving may hold them in half precision (`idgenrec pack --half`).
    public func save(_ checkpoint: Checkpoint, weights precision: SafeTensors.Precision = .float32) throws {
        let fileManager = FileManager.default
        let staging = stagingURL, retired = retiredURL
        try recoverInterruptedSwap()   // so that the staging folder below is never the run's only whole copy
        try? fileManager.removeItem(at: staging)
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        try checkpoint.tokenizer.serializedModel().write(to: staging.appendingPathComponent("tokenizer.model"))
        for (role, model) in [(TransformersFiles.Role.generator, checkpoint.generator), (.recommender, checkpoint.recommender)] {
            let folder = staging.appendingPathComponent(role.rawValue)
            try model.save(to: folder, precision: precision)
            try TransformersFiles.writeTokenizer(checkpoint.tokenizer, to: folder)
            try TransformersFiles.writeModelCard(role: role, model: model, items: checkpoint.items.count, state: checkpoint.state, to: folder)
        }
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
        FaultInjection.killIfRequested(at: "checkpoint-swap")
        try fileManager.moveItem(at: staging, to: checkpointURL)
        try? fileManager.removeItem(at: retired)
    }

    /// Completes a swap that a kill interrupted between its two renames: the new copy if it was written whole,
    /// else the old one, goes back to `checkpoint/`. Nothing to do when `checkpoint/` is there.
    public func recoverInterruptedSwap() throws {
        let fileManager = FileManager.default
        guard !fileManager.fileExists(atPath: checkpointURL.path) else { return }
        for copy in [stagingURL, retiredURL] where Self.isWhole(copy) {
            do { try fileManager.moveItem(at: copy, to: checkpointURL) } catch {
                throw IDGenRecError.invalidRun(path: url.path, reason: "cannot restore the checkpoint from \(copy.lastPathComponent) (\(error.localizedDescription))")
            }
            return
        }
    }

    /// Loads the checkpoint (finishing an interrupted swap first); every missing or damaged file is an error naming it.
    public func loadCheckpoint() throws -> Checkpoint {
        try recoverInterruptedSwap()
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

    /// Opens the run as a whole: its configuration (values in range) and its checkpoint, and checks that they agree —
    /// model shapes as configured, one vocabulary for the tokenizer and both models, ID tokens inside it. A run
    /// edited or damaged by hand is an error naming the file and what is wrong, never a model used as if whole.
    public func open() throws -> (configuration: TrainingConfiguration, checkpoint: Checkpoint) {
        let checkpoint = try loadCheckpoint()
        let configuration = try TrainingConfiguration.read(from: configurationURL)
        let vocabulary = checkpoint.tokenizer.vocabularySize
        for (name, model, shape) in [("generator", checkpoint.generator, configuration.generator),
                                     ("recommender", checkpoint.recommender, configuration.recommender)] {
            let path = checkpointURL.appendingPathComponent(name).appendingPathComponent("config.json").path
            let stored = model.configuration
            let expected = shape.configuration(vocabularySize: vocabulary, eosTokenID: stored.eosTokenID, padTokenID: stored.padTokenID)
            let fields: [(String, Int, Int)] = [
                ("d_model", stored.modelWidth, expected.modelWidth), ("d_kv", stored.headWidth, expected.headWidth),
                ("d_ff", stored.feedForwardWidth, expected.feedForwardWidth), ("num_heads", stored.heads, expected.heads),
                ("num_layers", stored.encoderLayers, expected.encoderLayers), ("num_decoder_layers", stored.decoderLayers, expected.decoderLayers),
                ("vocab_size", stored.vocabularySize, vocabulary),
            ]
            for (field, value, wanted) in fields where value != wanted {
                let source = field == "vocab_size" ? "the run's tokenizer.model has \(wanted) pieces" : "\(configurationURL.path) says \(wanted)"
                throw IDGenRecError.invalidRun(path: path, reason: "\(field) is \(value) but \(source)")
            }
        }
        if let index = checkpoint.ids.tokenIDs.firstIndex(where: { $0.contains { $0 < 0 || Int($0) >= vocabulary } }) {
            throw IDGenRecError.invalidRun(path: checkpointURL.appendingPathComponent("ids.jsonl").path,
                                           reason: "the ID of item \"\(checkpoint.ids.itemIDs[index])\" has a token outside the \(vocabulary)-piece vocabulary")
        }
        return (configuration, checkpoint)
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
