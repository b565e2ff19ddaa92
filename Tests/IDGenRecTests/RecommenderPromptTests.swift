import XCTest
@testable import IDGenRec
import RecData
import T5

/// How a history becomes the recommender's input.
final class RecommenderPromptTests: XCTestCase {
    func testPromptIsTheHistoryIDsWithTheLastItemsTextWhenAsked() throws {
        let split = try EndToEndTests.cyclicSplit(users: 10)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let catalogue = split.dataset.catalogue
        let ids = try TitleWords(tokenizer: tokenizer, minimumWords: 2).ids(for: catalogue, progress: nil).dictionary
        let configuration = T5Configuration(vocabularySize: tokenizer.vocabularySize, modelWidth: 8, headWidth: 4, feedForwardWidth: 16,
                                            encoderLayers: 1, heads: 2, dropoutRate: 0, eosTokenID: tokenizer.eosID, padTokenID: tokenizer.padID)
        var settings = Recommender.Settings()
        let recommender = Recommender(model: try T5Model(configuration: configuration, seed: 1), tokenizer: tokenizer, settings: settings)
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
