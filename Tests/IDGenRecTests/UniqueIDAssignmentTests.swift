import XCTest
@testable import IDGenRec

final class UniqueIDAssignmentTests: XCTestCase {
    func testItemsInOrderTakeTheirFirstFreeCandidate() throws {
        let ids = try UniqueIDAssignment().assign(count: 3, candidates: { items, _ in
            items.map { _ in ["red lipstick", "red gloss", "gloss"] }
        }).ids
        XCTAssertEqual(ids, ["red lipstick", "red gloss", "gloss"])
    }

    func testForcedCollisionsRaiseThePenaltyThenFallBackOnTheItemsOwnWords() throws {
        var rounds: [UniqueIDAssignment.Round] = []
        let texts = [["Dove", "Men", "Care"], ["Dove", "Men", "Care", "Body", "Wash"], ["Dove", "Men"], ["Men"]]
        // Every item proposes the same degenerate candidates, whatever the round: only one item can be served by them.
        let assignment = try UniqueIDAssignment().assign(count: 4, candidates: { items, round in
            rounds.append(round)
            return items.map { _ in ["", "Dove Men Men Men", "dove  men"] }
        }, fallbackWords: { texts[$0] })
        let ids = assignment.ids
        XCTAssertEqual(Set(ids.map { $0.lowercased() }).count, 4, "IDs must be unique: \(ids)")
        XCTAssertEqual(ids[0], "Dove Men", "a word never follows itself")
        // The others extend the best candidate with their own next words; a text with nothing left gets a number.
        XCTAssertEqual(ids[1], "Dove Men Care")
        XCTAssertEqual(ids[2], "Dove Men 2")
        XCTAssertEqual(ids[3], "Dove Men 3")
        XCTAssertEqual(assignment.decidedByFallback, 3)
        // The penalty climbs by one per round, 10 raises, and the minimum length is never forced up.
        XCTAssertEqual(rounds.count, 11)
        XCTAssertEqual(rounds[0], .init(diversityPenalty: 1))
        XCTAssertEqual(rounds[10], .init(diversityPenalty: 11))
        for id in ids { XCTAssertEqual(UniqueIDAssignment.wellFormed(id), id) }
    }

    func testWellFormedDropsBackToBackRepeats() {
        XCTAssertEqual(UniqueIDAssignment.wellFormed("OPI Nail Polish Polish polish, Polish"), "OPI Nail Polish")
        XCTAssertEqual(UniqueIDAssignment.wellFormed("Remington S S S S"), "Remington S")
        XCTAssertEqual(UniqueIDAssignment.wellFormed("red blue red"), "red blue red", "only neighbours count")
    }

    func testStatisticsCountRepeatsAndFallbacks() throws {
        let dictionary = try IDDictionary(itemIDs: ["a", "b", "c", "d"], textualIDs: ["amber amber", "birch cedar", "dune", "ember fjord grove"],
                                          tokenIDs: [[5, 5], [6, 7], [8, 8, 9], [10, 11, 12]])
        let statistics = IDStatistics(dictionary: dictionary, decidedByFallback: 1)
        XCTAssertEqual(statistics.items, 4)
        XCTAssertEqual(statistics.meanWords, 2)
        XCTAssertEqual(statistics.meanTokens, 2.5)
        XCTAssertEqual(statistics.maximumTokens, 3)
        XCTAssertEqual(statistics.repeatedWordShare, 0.25)
        XCTAssertEqual(statistics.repeatedTokenShare, 0.5)
        XCTAssertEqual(statistics.fallbackShare, 0.25)
        XCTAssertTrue(statistics.description.contains("25.0% repeat a word, 50.0% a token"), statistics.description)
    }

    func testCanonicalFormRepeatsNoPieceBackToBackButKeepsDoubleLetters() throws {
        let tokenizer = try EndToEndTests.tokenizer(for: EndToEndTests.cyclicSplit(users: 10))
        let drifting = "maple eeeeeeee"
        let pieces = tokenizer.encode(drifting)
        XCTAssertTrue(zip(pieces, pieces.dropFirst()).contains { $0 == $1 }, "the test needs a piece repeated back to back: \(pieces)")
        let id = canonical(drifting, tokenizer: tokenizer)
        XCTAssertEqual(id, "maple ee")
        // A word this small vocabulary spells letter by letter keeps its double letter.
        XCTAssertEqual(canonical("kettle", tokenizer: tokenizer), "kettle")
        // A piece of several characters never comes twice in a row.
        let multiCharacter = try XCTUnwrap((0..<Int32(tokenizer.vocabularySize)).first { (tokenizer.piece(for: $0) ?? "").count > 3 })
        let twice = tokenizer.decode([multiCharacter, multiCharacter, multiCharacter])
        let tokens = tokenizer.encode(canonical(twice, tokenizer: tokenizer))
        XCTAssertFalse(zip(tokens, tokens.dropFirst()).contains { $0 == $1 }, "\(twice) → \(tokens)")
    }

    func testCanonicalFormDropsARunOfWordsThatRepeatsTheOneBefore() throws {
        XCTAssertEqual(withoutRepeatedPhrases(["Oreal", "Paris", "Oreal", "Paris", "EverPure"]), ["Oreal", "Paris", "EverPure"])
        XCTAssertEqual(withoutRepeatedPhrases(["Men", "men", "Care", "a", "b", "c", "a", "b", "c", "a", "b", "c"]), ["Men", "Care", "a", "b", "c"])
        XCTAssertEqual(withoutRepeatedPhrases(["New", "York", "Times", "New", "York"]), ["New", "York", "Times", "New", "York"])
        let tokenizer = try EndToEndTests.tokenizer(for: EndToEndTests.cyclicSplit(users: 10))
        XCTAssertEqual(canonical("maple syrup maple syrup jar", tokenizer: tokenizer), "maple syrup jar")
    }

    func testNormalisationStripsPunctuationAndSpacing() {
        XCTAssertEqual(UniqueIDAssignment.normalise("  Nail-lacquer,  “simmer” & shimmer! "), "Nail lacquer simmer shimmer")
        XCTAssertEqual(UniqueIDAssignment.normalise("!!!"), "")
    }
}
