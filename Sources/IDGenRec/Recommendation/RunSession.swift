import Foundation
import RecData
import T5
import Tokenization

/// A trained run opened for use: its tokenizer, ID design, recommender, ID dictionary and catalogue.
public final class RunSession {
    public let run: RunDirectory
    public let tokenizer: SentencePieceTokenizer
    /// How the run's IDs are made (and, for a catalogue it never saw, written).
    public let design: any IDDesign
    public let recommender: Recommender
    /// The catalogue the run was trained on, with its IDs.
    public let ownCatalogue: ServedCatalogue
    public let configuration: TrainingConfiguration

    public var ids: IDDictionary { ownCatalogue.ids }
    public var items: [Item] { ownCatalogue.items }

    public init(run: RunDirectory) throws {
        let opened = try run.open()
        let (configuration, checkpoint) = (opened.configuration, opened.checkpoint)
        self.run = run
        self.configuration = configuration
        design = opened.design
        tokenizer = checkpoint.tokenizer
        // Decoding settings chosen on validation (the `decoding` phase, `idgenrec tune`) replace the recipe's.
        let settings = checkpoint.state.decoding.map { $0.chosen.applied(to: configuration.recommenderSettings) } ?? configuration.recommenderSettings
        recommender = Recommender(model: checkpoint.recommender, tokenizer: tokenizer, settings: settings)
        ownCatalogue = try ServedCatalogue(items: checkpoint.items, ids: checkpoint.ids, origin: "the model's catalogue")
        transitions = checkpoint.transitions
        recommender.collaborative = checkpoint.collaborative
        recommender.copyGate = checkpoint.copyGate
        sequentialModel = checkpoint.sequentialModel
        readCatalogue(ownCatalogue.items)
    }

    /// The run's sequential recommender, indexed as its own catalogue (nil where decoding does not read it).
    private let sequentialModel: SASRec?
    /// The training sequences' transitions, indexed as the run's own catalogue (nil when prompts list no hints).
    private let transitions: ItemTransitions?
    /// The items whose texts and hints the recommender's prompts read now.
    private var catalogueRead: [String]?

    /// Points the recommender's prompts at these items, indexed as `items` is (whoever decodes item indices of another
    /// catalogue calls this first): their texts, where prompts carry the last item's text; where prompts list hints,
    /// those counted on the run's training sequences (an item the run never saw has none) and those by text; their
    /// collaborative tokens, where prompts carry them (again none for an item the run never saw).
    public func readCatalogue(_ items: [Item]) {
        let itemIDs = items.map(\.id)
        guard catalogueRead != itemIDs else { return }
        if recommender.settings.lastItemTextTokens > 0 {
            recommender.itemTexts = recommender.settings.itemTextTokens(items.map(configuration.textRendering.renderer.render), tokenizer: tokenizer)
        }
        let settings = recommender.settings
        if settings.listsHints {
            let counts = transitions?.reindexed(from: ownCatalogue.items.map(\.id), to: itemIDs) ?? ItemTransitions(numberOfItems: items.count)
            recommender.hints = SimilarItemHints(transitions: counts, count: settings.similarItemHints,
                                                 textNeighbours: SimilarItemHints.textNeighbours(of: items, count: settings.textHints),
                                                 textCount: settings.textHints)
        }
        recommender.similarityTexts = items.map(TextSimilarityIndex.mainText(of:))   // indexed only if decoding reads it
        let own = ownCatalogue.items.lazy.map(\.id).elementsEqual(itemIDs)
        // Its scores are indexed by the run's own items: another catalogue is decoded without it.
        recommender.sequentialModel = own ? sequentialModel : nil
        if recommender.collaborative != nil {
            recommender.collaborativeRows = own ? nil : itemIDs.map { ownCatalogue.index(of: $0).map(Int32.init) ?? -1 }
        }
        catalogueRead = itemIDs
    }

    /// Where this run's IDs come from for a catalogue it was not trained on: its ID design applied to the new items.
    public var idSource: any ItemIDSource {
        get throws {
            do { return try design.idSource(renderer: configuration.textRendering.renderer) } catch let error as IDGenRecError {
                throw IDGenRecError.invalidRun(path: run.url.path, reason: "\(error)")
            }
        }
    }

    /// IDs for another catalogue, by this run's ID design (zero-shot use; nothing is trained).
    public func generateIDs(for catalogue: Catalogue, progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
        try idSource.ids(for: catalogue, progress: progress)
    }

    /// The catalogue index of each item id; an unknown id is an error naming it.
    public func itemIndices(_ itemIDs: [String]) throws -> [Int32] { try ownCatalogue.itemIndices(itemIDs) }

    /// A catalogue the run was not trained on, served zero-shot: its IDs written by the run's ID design from the
    /// items' text, generated once and kept in the run folder (``ZeroShotIDCache``), never in the run's own dictionary.
    /// `name` names the catalogue in the cache (a dataset folder's name).
    public func zeroShotCatalogue(_ catalogue: Catalogue, name: String, progress: ((Int, Int) -> Void)? = nil)
        throws -> (catalogue: ServedCatalogue, statistics: IDStatistics, cachedIn: URL?, reused: Bool) {
        let fingerprint = ZeroShotIDCache.fingerprint(of: catalogue, with: run.stateBytes)
        let cached = try ZeroShotIDCache(run: run).ids(name: name, fingerprint: fingerprint, catalogue: catalogue, tokenizer: tokenizer) {
            try generateIDs(for: catalogue, progress: progress).dictionary
        }
        return (try ServedCatalogue(items: catalogue.items, ids: cached.ids, origin: "the catalogue \(name)"), IDStatistics(dictionary: cached.ids),
                cached.file, cached.reused)
    }

    /// Whether a zero-shot target is really new to the run: the training catalogues it recorded, the items they
    /// share with it (by item id), and a warning when it overlaps them (by name or by items).
    public func zeroShotOverlap(with catalogue: Catalogue, name: String) throws -> (trainedOn: [String], sharedItems: Int, warning: String?) {
        let trainedOn = try run.trainingCatalogues().map(\.name)
        let shared = catalogue.items.count { ownCatalogue.contains($0.id) }
        let sources = trainedOn.isEmpty ? "the run's catalogue" : "the run's training catalogues (\(trainedOn.joined(separator: ", ")))"
        if trainedOn.contains(name) {
            return (trainedOn, shared, "\(name) is one of \(sources): this is not a zero-shot evaluation")
        }
        if shared > 0 {
            return (trainedOn, shared, "\(name) shares \(shared) of its \(catalogue.count) items with \(sources): this is not a clean zero-shot evaluation")
        }
        return (trainedOn, shared, nil)
    }

    /// Beams a recommendation searches with unless told otherwise: enough that the top of a list does not depend on
    /// how long a list was asked for (the top 3 of `count` 3 are the first 3 of `count` 10).
    public static let defaultBeams = 20
    /// Histories decoded together.
    public static let batchSize = 64

    /// The top `count` items after a history of item ids (oldest first).
    /// History items are never recommended unless `exclusion` is `.none`.
    public func recommend(history itemIDs: [String], count: Int, beams: Int? = nil,
                          exclusion: Recommender.CandidateExclusion = .history) throws -> [Recommender.Recommendation] {
        try recommend(histories: [itemIDs], count: count, beams: beams, exclusion: exclusion)[0]
    }

    /// ``recommend(histories:in:count:beams:exclusion:progress:)`` from the run's own catalogue.
    public func recommend(histories: [[String]], count: Int, beams: Int? = nil, exclusion: Recommender.CandidateExclusion = .history,
                          progress: ((Int, Int) -> Void)? = nil) throws -> [[Recommender.Recommendation]] {
        try recommend(histories: histories, in: ownCatalogue, count: count, beams: beams, exclusion: exclusion, progress: progress)
    }

    /// The top `count` items of `served` after each history (item ids of that catalogue, oldest first), decoded in batches.
    public func recommend(histories: [[String]], in served: ServedCatalogue, count: Int, beams: Int? = nil,
                          exclusion: Recommender.CandidateExclusion = .history,
                          progress: ((Int, Int) -> Void)? = nil) throws -> [[Recommender.Recommendation]] {
        let items = served.items, ids = served.ids
        readCatalogue(served.items)
        guard count <= items.count else {
            throw IDGenRecError.invalidInput("\(count) recommendations asked for, but the catalogue has \(items.count) items")
        }
        let indices = try histories.enumerated().map { number, itemIDs in
            guard !itemIDs.isEmpty else {
                throw IDGenRecError.invalidInput(histories.count == 1 ? "the history is empty: give at least one item id"
                                                                      : "history \(number + 1) is empty: give at least one item id")
            }
            return try served.itemIndices(itemIDs)[...]
        }
        let catalogue = CatalogueIndex(ids: ids, decoderStartTokenID: recommender.model.decoderStartTokenID,
                                       eosTokenID: recommender.model.eosTokenID)
        return try recommender.recommend(histories: indices, ids: ids, catalogue: catalogue, count: count,
                                         beams: max(beams ?? Self.defaultBeams, count), exclusion: exclusion, batchSize: Self.batchSize,
                                         progress: progress)
    }
}
