import XCTest
@testable import IDGenRec

final class UniqueIDAssignmentTests: XCTestCase {
    func testItemsInOrderTakeTheirFirstFreeCandidate() throws {
        let ids = try UniqueIDAssignment().assign(count: 3) { items, _ in
            items.map { _ in ["red lipstick", "red gloss", "gloss"] }
        }
        XCTAssertEqual(ids, ["red lipstick", "red gloss", "gloss"])
    }

    func testForcedCollisionsRaiseThePenaltyThenTheLengthThenFallBack() throws {
        var rounds: [UniqueIDAssignment.Round] = []
        // Every item proposes the same two candidates, whatever the round: only two items can be served.
        let ids = try UniqueIDAssignment().assign(count: 4) { items, round in
            rounds.append(round)
            return items.map { _ in ["", "same", "same"] + (round.minimumLength >= 2 ? ["longer same"] : []) }
        }
        XCTAssertEqual(ids.count, 4)
        XCTAssertEqual(Set(ids).count, 4, "IDs must be unique: \(ids)")
        XCTAssertTrue(ids.allSatisfy { !$0.isEmpty })
        XCTAssertEqual(Array(ids.prefix(2)), ["same", "longer same"])
        // Penalty climbs by one per round, the minimum length grows after ten raises, with the penalty reset.
        XCTAssertEqual(rounds[0], .init(diversityPenalty: 1, minimumLength: 0))
        XCTAssertEqual(rounds[1], .init(diversityPenalty: 2, minimumLength: 0))
        XCTAssertEqual(rounds[10], .init(diversityPenalty: 1, minimumLength: 2))
        // The last two items exhausted every round and got numbered variants of their first candidate.
        XCTAssertEqual(Array(ids.suffix(2)), ["same 2", "same 3"])
    }

    func testNormalisationStripsPunctuationAndSpacing() {
        XCTAssertEqual(UniqueIDAssignment.normalise("  Nail-lacquer,  “simmer” & shimmer! "), "Nail lacquer simmer shimmer")
        XCTAssertEqual(UniqueIDAssignment.normalise("!!!"), "")
    }
}
