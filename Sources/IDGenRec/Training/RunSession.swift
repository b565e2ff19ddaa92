import Foundation
import RecData
import T5
import Tokenization

/// A trained run opened for use: its tokenizer, generator, recommender, ID dictionary and catalogue.
public final class RunSession {
    public let run: RunDirectory
    public let tokenizer: SentencePieceTokenizer
    public let generator: IDGenerator
    public let recommender: Recommender
    public let ids: IDDictionary
    public let items: [Item]
    public let configuration: TrainingConfiguration
    private let indexByItemID: [String: Int]

    public init(run: RunDirectory) throws {
        let (configuration, checkpoint) = try run.open()
        self.run = run
        self.configuration = configuration
        tokenizer = checkpoint.tokenizer
        generator = IDGenerator(model: checkpoint.generator, tokenizer: tokenizer, settings: configuration.generatorSettings)
        recommender = Recommender(model: checkpoint.recommender, tokenizer: tokenizer, settings: configuration.recommenderSettings)
        ids = checkpoint.ids
        items = checkpoint.items
        if recommender.settings.lastItemTextTokens > 0 {   // rendering every item's text only when prompts read it
            recommender.itemTexts = recommender.settings.itemTextTokens(items.map(configuration.textRendering.renderer.render), tokenizer: tokenizer)
        }
        indexByItemID = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($0.element.id, $0.offset) })
    }

    /// Where this run's IDs come from for a catalogue it was not trained on: its ID design applied to the new items.
    public var idSource: any ItemIDSource {
        get throws {
            switch configuration.idDesign {
            case .learned: return GeneratedByModel(generator: generator, renderer: configuration.textRendering.renderer)
            case .titleWords: return TitleWords(tokenizer: tokenizer, minimumWords: configuration.titleWords)
            case .fixed:
                throw IDGenRecError.invalidRun(path: run.url.path, reason: "it was trained on a fixed ID dictionary and has no way to write IDs "
                                               + "for a new catalogue: pass that catalogue's dictionary with --ids FILE")
            }
        }
    }

    /// IDs for another catalogue, by this run's ID design (zero-shot use; nothing is trained).
    public func generateIDs(for catalogue: Catalogue, progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
        try idSource.ids(for: catalogue, progress: progress)
    }

    /// The catalogue index of each item id; an unknown id is an error naming it.
    public func itemIndices(_ itemIDs: [String]) throws -> [Int32] {
        try itemIDs.map { id in
            guard let index = indexByItemID[id] else { throw IDGenRecError.unknownItem(id) }
            return Int32(index)
        }
    }

    /// Beams a recommendation searches with unless told otherwise: enough that the top of a list does not depend on
    /// how long a list was asked for (the top 3 of `count` 3 are the first 3 of `count` 10).
    public static let defaultBeams = 20

    /// The top `count` items after a history of item ids (oldest first).
    /// History items are never recommended unless `exclusion` is `.none`.
    public func recommend(history itemIDs: [String], count: Int, beams: Int? = nil,
                          exclusion: Recommender.CandidateExclusion = .history) throws -> [Recommender.Recommendation] {
        try recommend(histories: [itemIDs], count: count, beams: beams, exclusion: exclusion)[0]
    }

    /// ``recommend(history:count:beams:exclusion:)`` for many histories, decoded in batches.
    public func recommend(histories: [[String]], count: Int, beams: Int? = nil, exclusion: Recommender.CandidateExclusion = .history,
                          progress: ((Int, Int) -> Void)? = nil) throws -> [[Recommender.Recommendation]] {
        guard count <= items.count else {
            throw IDGenRecError.invalidInput("\(count) recommendations asked for, but the catalogue has \(items.count) items")
        }
        let indices = try histories.enumerated().map { number, itemIDs in
            guard !itemIDs.isEmpty else {
                throw IDGenRecError.invalidInput(histories.count == 1 ? "the history is empty: give at least one item id"
                                                                      : "history \(number + 1) is empty: give at least one item id")
            }
            return try itemIndices(itemIDs)[...]
        }
        let catalogue = CatalogueIndex(ids: ids, decoderStartTokenID: recommender.model.decoderStartTokenID,
                                       eosTokenID: recommender.model.eosTokenID)
        return try recommender.recommend(histories: indices, ids: ids, catalogue: catalogue, count: count,
                                         beams: max(beams ?? Self.defaultBeams, count), exclusion: exclusion, progress: progress)
    }
}
