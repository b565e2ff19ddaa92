import Foundation
import Testing
import IDGenRec
import RecData

@Suite("Ranking metrics and their accumulation")
struct MetricsTests {
    /// Two hits within 5 (ranks 1 and 3), one miss, one hit only at 20 (rank 12).
    let ranks: [Int?] = [1, 3, nil, 12]

    @Test func hitRateOnHandComputedRanks() {
        #expect(RankingMetrics.hitRate(ranks: ranks, cutoff: 5) == 0.5)
        #expect(RankingMetrics.hitRate(ranks: ranks, cutoff: 10) == 0.5)
        #expect(RankingMetrics.hitRate(ranks: ranks, cutoff: 20) == 0.75)
        #expect(RankingMetrics.hitRate(ranks: ranks, cutoff: 1) == 0.25)
    }

    @Test func ndcgOnHandComputedRanks() {
        // 1/log2(2) = 1, 1/log2(4) = 0.5, 1/log2(13) = 0.27023815...
        #expect(abs(RankingMetrics.normalizedDiscountedCumulativeGain(ranks: ranks, cutoff: 5) - 0.375) < 1e-15)
        #expect(abs(RankingMetrics.normalizedDiscountedCumulativeGain(ranks: ranks, cutoff: 10) - 0.375) < 1e-15)
        let at20 = (1 + 0.5 + 1 / log2(13.0)) / 4
        #expect(abs(RankingMetrics.normalizedDiscountedCumulativeGain(ranks: ranks, cutoff: 20) - at20) < 1e-15)
        #expect(abs(at20 - 0.442559538) < 1e-9)
    }

    @Test func rankAtTheCutoffCountsAndOneBeyondDoesNot() {
        #expect(RankingMetrics.isHit(rank: 5, cutoff: 5))
        #expect(!RankingMetrics.isHit(rank: 6, cutoff: 5))
        #expect(!RankingMetrics.isHit(rank: nil, cutoff: 5))
        #expect(RankingMetrics.discountedGain(rank: 6, cutoff: 5) == 0)
        #expect(abs(RankingMetrics.discountedGain(rank: 5, cutoff: 5) - 1 / log2(6.0)) < 1e-15)
    }

    @Test func noUsersGiveZeroNotNaN() throws {
        #expect(RankingMetrics.hitRate(ranks: [Int?](), cutoff: 5) == 0)
        #expect(RankingMetrics.normalizedDiscountedCumulativeGain(ranks: [Int?](), cutoff: 5) == 0)
        let result = try RankingEvaluation().result()
        #expect(result.users == 0 && result.hitRate(at: 10) == 0)
    }

    @Test func evaluationAccumulatesRanks() throws {
        var evaluation = try RankingEvaluation()
        for (user, rank) in ranks.enumerated() { try evaluation.record(userID: "u\(user)", targetItemID: "i\(user)", rank: rank) }
        let result = evaluation.result(model: "hand", split: "test")
        #expect(result.users == 4)
        #expect(result.cutoffs == [5, 10, 20])
        #expect(result.hitRate(at: 5) == 0.5 && result.hitRate(at: 20) == 0.75)
        #expect(abs((result.normalizedDiscountedCumulativeGain(at: 5) ?? -1) - 0.375) < 1e-15)
        #expect(result.text.hasPrefix("hand, test: 4 users  HR@5 0.5000  NDCG@5 0.3750  HR@10 0.5000"))
    }

    @Test func ranksComeFromReturnedLists() throws {
        #expect(RankingEvaluation.rank(of: 7, in: [3, 7, 9] as [Int32]) == 2)
        #expect(RankingEvaluation.rank(of: 4, in: [3, 7, 9] as [Int32]) == nil)
        #expect(RankingEvaluation.rank(of: 4, in: [Int32]()) == nil)

        let catalogue = try Catalogue(items: ["a", "b", "c", "d"].map { Item(id: $0) })
        let dataset = try Dataset(catalogue: catalogue, userIDs: ["u", "v"], sequences: [[0, 1, 2], [3, 2, 1, 0]])
        let split = try LeaveOneOutSplit(dataset: dataset)
        var evaluation = try RankingEvaluation(cutoffs: [1, 2])
        // u's test target is c (2), v's is a (0).
        try evaluation.record(samples: split.test, in: split, rankedItems: [[1, 2], [3]])
        #expect(evaluation.userRanks == [
            RankingEvaluation.UserRank(userID: "u", targetItemID: "c", rank: 2),
            RankingEvaluation.UserRank(userID: "v", targetItemID: "a", rank: nil),
        ])
        #expect(evaluation.result().hitRate == [1: 0, 2: 0.5])
        #expect(throws: RankingEvaluationError.self) {
            try evaluation.record(samples: split.test, in: split, rankedItems: [[1]])
        }
    }

    @Test func badCutoffsAndRanksAreRejected() throws {
        #expect(throws: RankingEvaluationError.self) { try RankingEvaluation(cutoffs: []) }
        #expect(throws: RankingEvaluationError.self) { try RankingEvaluation(cutoffs: [5, 0]) }
        #expect(try RankingEvaluation(cutoffs: [20, 5, 5]).cutoffs == [5, 20])
        var evaluation = try RankingEvaluation()
        #expect(throws: RankingEvaluationError.self) { try evaluation.record(userID: "u", targetItemID: "i", rank: 0) }
        #expect(evaluation.userRanks.isEmpty)
    }

    @Test func resultJSONHasTheDocumentedKeys() throws {
        var evaluation = try RankingEvaluation()
        for (user, rank) in ranks.enumerated() { try evaluation.record(userID: "u\(user)", targetItemID: "i", rank: rank) }
        let result = evaluation.result(model: "most-popular", split: "test")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.jsonText().utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["model", "split", "users", "hr@5", "hr@10", "hr@20", "ndcg@5", "ndcg@10", "ndcg@20"])
        #expect(object["users"] as? Int == 4)
        #expect(object["hr@20"] as? Double == 0.75)
        #expect(object["ndcg@5"] as? Double == 0.375)
        // Without a model or split name those keys are left out, not written as null.
        let bare = try #require(JSONSerialization.jsonObject(with: Data(evaluation.result().jsonText().utf8)) as? [String: Any])
        #expect(Set(bare.keys) == ["users", "hr@5", "hr@10", "hr@20", "ndcg@5", "ndcg@10", "ndcg@20"])
        // Written in the documented order, so results read well in a diff.
        let text = result.jsonText()
        let positions = ["\"users\"", "\"hr@5\"", "\"hr@10\"", "\"hr@20\"", "\"ndcg@5\"", "\"ndcg@10\"", "\"ndcg@20\""]
            .compactMap { text.range(of: $0)?.lowerBound }
        #expect(positions.count == 7 && positions == positions.sorted())
        // And read back unchanged, also through the Decodable conformance and with characters JSON must escape.
        #expect(try JSONDecoder().decode(RankingResult.self, from: Data(text.utf8)) == result)
        let quoted = evaluation.result(model: "tf-idf \"title\"\\\n\u{1}", split: "test")
        #expect(try JSONDecoder().decode(RankingResult.self, from: Data(quoted.jsonText().utf8)) == quoted)
        #expect(try JSONDecoder().decode(RankingResult.self, from: JSONEncoder().encode(quoted)) == quoted)
    }

    @Test func userRanksAreWrittenAsTSVAndJSONLines() throws {
        var evaluation = try RankingEvaluation()
        try evaluation.record(userID: "A1", targetItemID: "B0001", rank: 3)
        try evaluation.record(userID: "A2", targetItemID: "B0002", rank: nil)
        #expect(try evaluation.userRanksText(format: .tabSeparated) == "user\ttarget\trank\nA1\tB0001\t3\nA2\tB0002\t\n")
        #expect(try evaluation.userRanksText(format: .jsonLines)
            == "{\"user\":\"A1\",\"target\":\"B0001\",\"rank\":3}\n{\"user\":\"A2\",\"target\":\"B0002\",\"rank\":null}\n")

        let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("idgenrec-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ranksPath = (folder as NSString).appendingPathComponent("ranks.tsv")
        let resultPath = (folder as NSString).appendingPathComponent("result.json")
        try "old".write(toFile: ranksPath, atomically: false, encoding: .utf8)
        try evaluation.writeUserRanks(to: ranksPath)
        try evaluation.result(split: "test").write(to: resultPath)
        #expect(try String(contentsOfFile: ranksPath, encoding: .utf8) == evaluation.userRanksText())
        let written = try JSONDecoder().decode(RankingResult.self, from: Data(contentsOf: URL(fileURLWithPath: resultPath)))
        #expect(written == evaluation.result(split: "test"))
        // Nothing but the two files: the temporary files were renamed into place.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["ranks.tsv", "result.json"])

        // A missing folder is created, as for every file the project writes.
        let nested = (folder as NSString).appendingPathComponent("absent/ranks.tsv")
        try evaluation.writeUserRanks(to: nested)
        #expect(try String(contentsOfFile: nested, encoding: .utf8) == evaluation.userRanksText())
    }

    @Test func tabsInIdentifiersAreRefusedInTSV() throws {
        var evaluation = try RankingEvaluation()
        try evaluation.record(userID: "a\tb", targetItemID: "i", rank: 1)
        #expect(throws: RankingEvaluationError.self) { try evaluation.userRanksText(format: .tabSeparated) }
        #expect(try evaluation.userRanksText(format: .jsonLines) == "{\"user\":\"a\\tb\",\"target\":\"i\",\"rank\":1}\n")
    }
}
