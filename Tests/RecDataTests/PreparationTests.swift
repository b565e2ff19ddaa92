import Testing
@testable import RecData

@Suite("Preparation: ordering, duplicates, k-core, leave-one-out")
struct PreparationTests {
    /// Writes `rows` (user, item, time) as a CSV file and loads it with the given duplicate policy.
    func load(_ rows: [(String, String, Int)], duplicates: DuplicateInteractionPolicy) throws -> (Dataset, ImportReport) {
        let folder = try TemporaryFolder()
        let text = "user,item,timestamp\n" + rows.map { "\($0.0),\($0.1),\($0.2)" }.joined(separator: "\n") + "\n"
        var options = LoadOptions()
        options.duplicateInteractions = duplicates
        let result = try DelimitedImporter.load(interactionsPath: folder.write("log.csv", text), metadataPath: nil, options: options)
        return (result.dataset, result.report)
    }

    let repeats = [("u", "a", 1), ("u", "b", 2), ("u", "a", 3), ("u", "c", 3), ("u", "b", 0)]

    @Test func chronologicalOrderIsStableOnTies() throws {
        let (dataset, _) = try load([("u", "x", 5), ("u", "y", 1), ("u", "z", 5), ("u", "w", 1)], duplicates: .keepAll)
        #expect(dataset.sequencesByID["u"] == ["y", "w", "x", "z"])
    }

    @Test func duplicatesKeepAll() throws {
        let (dataset, report) = try load(repeats, duplicates: .keepAll)
        // Time order: b@0, a@1, b@2, a@3, c@3.
        #expect(dataset.sequencesByID["u"] == ["b", "a", "b", "a", "c"])
        #expect(report.duplicateInteractionsRemoved == 0)
    }

    @Test func duplicatesKeepFirst() throws {
        let (dataset, report) = try load(repeats, duplicates: .keepFirst)
        #expect(dataset.sequencesByID["u"] == ["b", "a", "c"])
        #expect(report.duplicateInteractionsRemoved == 2)
        #expect(report.notes.contains { $0.hasPrefix("repeated interactions removed (keep-first)") })
    }

    @Test func duplicatesKeepLast() throws {
        let (dataset, report) = try load(repeats, duplicates: .keepLast)
        #expect(dataset.sequencesByID["u"] == ["b", "a", "c"])  // b@2, a@3, c@3
        #expect(report.duplicateInteractionsRemoved == 2)
    }

    @Test func kCoreIteratesToAFixedPoint() throws {
        // k = 2. Round 1 removes u4 (1 item), then d (1 user). Round 2 removes u3 (only c left), then c.
        let items = try catalogue(["a", "b", "c", "d"])
        let dataset = try Dataset(catalogue: items, userIDs: ["u1", "u2", "u3", "u4"], sequences: [[0, 1, 2], [0, 1], [2, 3], [0]])
        let (filtered, report) = try KCoreFilter(minimumInteractions: 2).apply(to: dataset)
        #expect(filtered.userIDs == ["u1", "u2"])
        #expect(filtered.itemIDs == ["a", "b"])
        #expect(filtered.sequencesByID == ["u1": ["a", "b"], "u2": ["a", "b"]])
        #expect(report == KCoreFilter.Report(rounds: 2, usersRemoved: 2, itemsRemoved: 2, interactionsRemoved: 4))
        // Already a 2-core: nothing changes.
        let again = try KCoreFilter(minimumInteractions: 2).apply(to: filtered)
        #expect(again.report == KCoreFilter.Report())
        #expect(again.dataset.sequencesByID == filtered.sequencesByID)
    }

    @Test func kCoreOfZeroLeavesTheDataAlone() throws {
        let dataset = try Dataset(catalogue: catalogue(["a"]), userIDs: ["u"], sequences: [[0]])
        let (filtered, report) = try KCoreFilter(minimumInteractions: 0).apply(to: dataset)
        #expect(filtered.numberOfInteractions == 1 && report.rounds == 0)
    }

    @Test func leaveOneOutSamples() throws {
        let items = try catalogue(["i1", "i2", "i3", "i4", "i5", "j1", "j2", "j3"])
        let dataset = try Dataset(catalogue: items, userIDs: ["long", "three"], sequences: [[0, 1, 2, 3, 4], [5, 6, 7]])
        let split = try LeaveOneOutSplit(dataset: dataset, maximumHistoryLength: 2)
        func ids(_ slice: ArraySlice<Int32>) -> [String] { slice.map { items[$0].id } }
        // "long" = i1..i5: training targets i2, i3; validation i4; test i5; histories capped at 2.
        #expect(split.training.map { items[split.target(of: $0)].id } == ["i2", "i3"])
        #expect(split.training.map { ids(split.history(of: $0)) } == [["i1"], ["i1", "i2"]])
        #expect(items[split.target(of: split.validation[0])].id == "i4")
        #expect(ids(split.history(of: split.validation[0])) == ["i2", "i3"])
        #expect(items[split.target(of: split.test[0])].id == "i5")
        #expect(ids(split.history(of: split.test[0])) == ["i3", "i4"])
        // "three" = j1 j2 j3: no training sample; validation j2 after [j1]; test j3 after [j1, j2].
        #expect(ids(split.history(of: split.validation[1])) == ["j1"])
        #expect(items[split.target(of: split.test[1])].id == "j3")
        #expect(ids(split.history(of: split.test[1])) == ["j1", "j2"])
        #expect(split.usersWithTooFewInteractions == 0)
    }

    @Test func defaultHistoryIsTheLastTwentyItems() throws {
        let items = try catalogue((0..<30).map { "i\($0)" })
        let dataset = try Dataset(catalogue: items, userIDs: ["u"], sequences: [Array(0..<30)])
        let split = try LeaveOneOutSplit(dataset: dataset)
        #expect(split.training.count == 27)  // targets i1 ... i27
        #expect(Array(split.history(of: split.test[0])) == Array(9..<29))
        #expect(Array(split.history(of: split.training[0])) == [0])
    }

    @Test func noValidationOrTestItemReachesTraining() throws {
        let items = try catalogue((0..<12).map { "i\($0)" })
        let sequences: [[Int32]] = [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9], [10, 11, 0, 1, 2]]
        let dataset = try Dataset(catalogue: items, userIDs: ["a", "b", "c"], sequences: sequences)
        let split = try LeaveOneOutSplit(dataset: dataset)
        for sample in split.training {
            let user = Int(sample.user)
            let allowed = Int(dataset.sequenceLength(ofUser: user)) - 2
            // Target and every history item lie in the first n-2 positions.
            #expect(Int(sample.targetPosition) < allowed)
            let seen = Array(split.history(of: sample)) + [split.target(of: sample)]
            let start = dataset.sequenceOffsets[user]
            let end = start + Int(sample.targetPosition)
            #expect(seen == Array(dataset.sequenceItems[max(start, end - 20)...end]))
        }
        #expect(split.trainingSequence(ofUser: 0).map { $0 } == [0, 1, 2, 3])
        #expect(split.training.count == 3 + 1 + 2)
    }
}
