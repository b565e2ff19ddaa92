import DurableFiles
import Foundation
import RecData
import T5
import TensorEngine
import Tokenization

/// A training run on disk:
///
///     RUN/config.json          the training configuration
///     RUN/log.jsonl            one ``RunEvent`` per line (losses, validation metrics, ID statistics)
///     RUN/checkpoint/          the latest consistent state, replaced whole (write beside, then rename):
///         state.json           phases done, epoch within the current phase, elapsed time
///         tokenizer.model      the SentencePiece model both T5s read
///         recommender/         the recommender, in transformers' layout: config.json, generation_config.json,
///                              model.safetensors, spiece.model, tokenizer_config.json, special_tokens_map.json, README.md
///         generator/           each model the ID design owns, the same files (learned IDs: the ID generator;
///                              title-word and fixed IDs own none)
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
    public var stagingURL: URL { url.appendingPathComponent(".checkpoint-new") }
    public var retiredURL: URL { url.appendingPathComponent(".checkpoint-old") }

    /// Whether the run has a checkpoint to resume or use, counting one a kill left in the middle of a swap.
    public var hasCheckpoint: Bool {
        [checkpointURL, stagingURL, retiredURL].contains { Self.isWhole($0) }
    }

    /// A checkpoint folder is whole once its `state.json` exists: `save` writes that file last.
    static func isWhole(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("state.json").path)
    }

    public var cataloguesURL: URL { url.appendingPathComponent("catalogues.json") }

    /// The run's configuration and checkpoint state as bytes (empty where missing): what tells one state of a run from
    /// another, for caches and sharded jobs that must not mix two.
    public var stateBytes: [Data] { [configurationURL, stateURL].map { (try? Data(contentsOf: $0)) ?? Data() } }

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

    /// Appends one event to `log.jsonl`. The log is a record for the report, not state: a line it cannot write is
    /// dropped rather than stopping a run.
    public func log(_ event: RunEvent) {
        try? event.append(to: logURL)
    }

    /// Every event logged so far.
    public func events() throws -> [RunEvent] { try RunEvent.read(from: logURL) }

    /// The evaluation records in the run folder (`evaluation-*.json`), by file name; a shard's partial result
    /// (`*.part-I-of-N.json`) is not one until `merge` makes it so.
    public func evaluations() throws -> [(file: String, record: EvaluationRecord)] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        let partial = /\.part-\d+-of-\d+\.json$/
        return try files.sorted().filter { $0.hasPrefix("evaluation-") && $0.hasSuffix(".json") && !$0.contains(partial) }.map { file in
            (file, try EvaluationRecord.read(from: url.appendingPathComponent(file)))
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

