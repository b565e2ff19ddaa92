import XCTest
@testable import IDGenRec
import RecData
import T5
import Tokenization

/// How a history becomes the recommender's input.
final class RecommenderPromptTests: XCTestCase {
    /// An untrained tiny recommender over the 40-item cyclic catalogue, with its tokenizer and title-word IDs: enough
    /// to check what prompts hold.
    static func tinyRecommender(settings: Recommender.Settings)
        throws -> (split: LeaveOneOutSplit, tokenizer: SentencePieceTokenizer, ids: IDDictionary, recommender: Recommender) {
        let split = try EndToEndTests.cyclicSplit(users: 10)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let ids = try TitleWords(tokenizer: tokenizer, minimumWords: 2).ids(for: split.dataset.catalogue, progress: nil).dictionary
        let configuration = T5Configuration(vocabularySize: tokenizer.vocabularySize, modelWidth: 8, headWidth: 4, feedForwardWidth: 16,
                                            encoderLayers: 1, heads: 2, dropoutRate: 0, eosTokenID: tokenizer.eosID, padTokenID: tokenizer.padID)
        let recommender = Recommender(model: try T5Model(configuration: configuration, seed: 1), tokenizer: tokenizer, settings: settings)
        return (split, tokenizer, ids, recommender)
    }

    func testPromptIsTheHistoryIDsWithTheLastItemsTextWhenAsked() throws {
        var settings = Recommender.Settings()
        let (split, tokenizer, ids, recommender) = try Self.tinyRecommender(settings: settings)
        let catalogue = split.dataset.catalogue
        let history: [Int32] = [4, 9, 2]
        let eos = tokenizer.eosID, separator = recommender.separator
        XCTAssertEqual(recommender.source(history: history[...], ids: ids),
                       ids.tokenIDs[4] + separator + ids.tokenIDs[9] + separator + ids.tokenIDs[2] + [eos], "IDs only, oldest first")

        settings.lastItemTextTokens = 3
        recommender.settings = settings
        let texts = catalogue.items.map(ItemTextRenderer().render)
        recommender.itemTexts = recommender.settings.itemTextTokens(texts, tokenizer: tokenizer)
        let lastText = Array(tokenizer.encode(texts[2]).dropLast().prefix(3))
        XCTAssertEqual(lastText.count, 3)
        XCTAssertEqual(recommender.source(history: history[...], ids: ids),
                       ids.tokenIDs[4] + separator + ids.tokenIDs[9] + separator + ids.tokenIDs[2] + recommender.textSeparator + lastText + [eos],
                       "the most recent item's text follows its ID")

        // A short budget drops the oldest items first; the last item and its text stay.
        settings.maximumSourceTokens = ids.tokenIDs[2].count + recommender.textSeparator.count + 3 + 1
        recommender.settings = settings
        XCTAssertEqual(recommender.source(history: history[...], ids: ids), ids.tokenIDs[2] + recommender.textSeparator + lastText + [eos])
    }
}
