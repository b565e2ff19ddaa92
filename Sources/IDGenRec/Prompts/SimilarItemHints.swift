import DurableFiles
import Foundation
import RecData

/// Which items followed which in users' training sequences: the raw statistic behind similar-item hints.
///
/// Two items `d <= window` positions apart add `1 / d` to the row of the earlier one (forward only: what a purchase
/// predicts is mostly what follows it). Counted on ``LeaveOneOutSplit/trainingSequence(ofUser:)`` only, so no
/// validation or test target is in it. Rows keep raw sums, not shares, so that one user's own transitions can be
/// taken out again exactly (``SimilarItemHints/hints(history:leavingOut:)``).
public struct ItemTransitions: Sendable, Equatable {
    public let window: Int
    /// Per item: the items after it and their summed weights.
    public private(set) var rows: [[Int32: Double]]
    /// Per item: its row's sum.
    public private(set) var totals: [Double]

    public var numberOfItems: Int { rows.count }

    public init(numberOfItems: Int, window: Int = 3) {
        self.window = window
        rows = Array(repeating: [:], count: numberOfItems)
        totals = Array(repeating: 0, count: numberOfItems)
    }

    /// Every user's training sequence counted.
    public init(split: LeaveOneOutSplit, window: Int = 3) {
        self.init(numberOfItems: split.dataset.numberOfItems, window: window)
        for user in 0..<split.dataset.numberOfUsers { add(split.trainingSequence(ofUser: user)) }
        sumRows()
    }

    /// Calls `visit(earlier, later, weight)` for each forward pair of `sequence` within `window` positions (also how
    /// ``CooccurrenceIndex`` counts).
    public static func forEachPair(in sequence: ArraySlice<Int32>, window: Int, _ visit: (Int32, Int32, Double) -> Void) {
        let items = Array(sequence)
        for (position, item) in items.enumerated() {
            for distance in 1...max(window, 1) where position + distance < items.count && items[position + distance] != item {
                visit(item, items[position + distance], 1 / Double(distance))
            }
        }
    }

    mutating func add(_ sequence: ArraySlice<Int32>) {
        Self.forEachPair(in: sequence, window: window) { from, to, weight in rows[Int(from)][to, default: 0] += weight }
    }

    /// Each row's total, summed in item order: the same bits whichever way the row was filled (or read back).
    mutating func sumRows() { totals = rows.map(Self.sum) }

    static func sum(_ row: [Int32: Double]) -> Double { row.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value } }

    /// The same counts for a catalogue listing `itemIDs` (another order, fewer or other items), given the item ids
    /// this one is indexed by: an item it never counted has an empty row and appears in none.
    public func reindexed(from ownIDs: [String], to itemIDs: [String]) -> ItemTransitions {
        if ownIDs == itemIDs { return self }
        let newIndex = Dictionary(itemIDs.enumerated().map { ($0.element, Int32($0.offset)) }, uniquingKeysWith: { first, _ in first })
        var result = ItemTransitions(numberOfItems: itemIDs.count, window: window)
        for (item, row) in rows.enumerated() {
            guard let from = newIndex[ownIDs[item]] else { continue }
            for (next, weight) in row { if let to = newIndex[ownIDs[Int(next)]] { result.rows[Int(from)][to] = weight } }
            result.totals[Int(from)] = totals[item]   // the item's whole row: shares stay what training saw
        }
        return result
    }

    // MARK: The run folder's copy

    static let fileName = "transitions.tsv"

    /// One line per item with a row: `item<TAB>next:weight next:weight ...`, items as catalogue indices (the
    /// checkpoint's `items.jsonl` order), written atomically.
    func write(to url: URL) throws {
        var text = "# item transitions, window \(window), \(numberOfItems) items\n"
        for (item, row) in rows.enumerated() where !row.isEmpty {
            text += "\(item)\t" + row.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ") + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// Reads ``write(to:)``'s file for a catalogue of `numberOfItems` items; any malformed line is an error naming it.
    static func read(from url: URL, numberOfItems: Int) throws -> ItemTransitions {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw IDGenRecError.invalidFile(path: path, line: nil, reason: "missing or not UTF-8 text")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let header = lines.first.map(String.init) ?? ""
        let words = header.split(separator: " ")
        guard words.count >= 5, header.hasPrefix("# item transitions, window "), let window = Int(words[4].dropLast()), (1...50).contains(window) else {
            throw IDGenRecError.invalidFile(path: path, line: 1, reason: "expected the header `# item transitions, window W, N items`")
        }
        var transitions = ItemTransitions(numberOfItems: numberOfItems, window: window)
        for (number, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            func fail(_ reason: String) -> IDGenRecError { .invalidFile(path: path, line: number + 1, reason: reason) }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2, let item = Int(fields[0]), (0..<numberOfItems).contains(item) else {
                throw fail("expected `item<TAB>next:weight ...` with an item index below \(numberOfItems)")
            }
            guard transitions.rows[item].isEmpty else { throw fail("item \(item) has a second row") }
            for pair in fields[1].split(separator: " ") {
                let parts = pair.split(separator: ":")
                guard parts.count == 2, let next = Int32(parts[0]), (0..<numberOfItems).contains(Int(next)),
                      let weight = Double(parts[1]), weight.isFinite, weight > 0 else {
                    throw fail("`\(pair)` is not `next:weight` with an item index below \(numberOfItems) and a positive weight")
                }
                guard transitions.rows[item].updateValue(weight, forKey: next) == nil else { throw fail("item \(next) is listed twice") }
            }
        }
        transitions.sumRows()
        return transitions
    }
}

/// Similar-item hints (GRAM): catalogue items worth considering after a history, whose IDs the recommender's prompt
/// lists after the history so that it can learn when to copy one.
///
/// Two kinds, co-occurrence hints first:
/// - the items that most often followed the history's last few items in the training sequences. An item's score is
///   the share of each recent item's row it holds, the newest item weighing most (1, 1/2, 1/3): the forward
///   co-occurrence baseline's score. A training sample must not see hints counted from its own answer:
///   ``hints(history:leavingOut:)`` takes the user's own transitions out of every row it reads (leave-one-user-out),
///   so the hint that names the target is only there when other users made the same step.
/// - the items whose text most resembles the last item's (TF-IDF cosine, ``TextSimilarityIndex``): computed from the
///   catalogue's texts alone, so a catalogue the run never saw has them too.
public struct SimilarItemHints: Sendable {
    public let transitions: ItemTransitions
    /// Co-occurrence hints listed at most.
    public let count: Int
    /// Per item, the items nearest it by text, nearest first (empty: no text hints).
    public let textNeighbours: [[Int32]]
    /// Text hints listed at most.
    public let textCount: Int
    /// Most recent history items whose rows are read.
    public let recentItems: Int

    public init(transitions: ItemTransitions, count: Int, textNeighbours: [[Int32]] = [], textCount: Int = 0, recentItems: Int = 3) {
        self.transitions = transitions
        self.count = count
        self.textNeighbours = textNeighbours
        self.textCount = textCount
        self.recentItems = recentItems
    }

    /// Each of `items`' nearest items by text, as many as `count` text hints can need once a history's
    /// items are skipped.
    public static func textNeighbours(of items: [Item], count: Int) -> [[Int32]] {
        guard count > 0, items.count > 1 else { return [] }
        let index = TextSimilarityIndex(texts: items.map(TextSimilarityIndex.mainText(of:)))
        // Cannot throw: every item is in the index and the count is positive.
        return (try? index.nearestItems(to: (0..<Int32(items.count)).map { $0 }, count: count + 20)) ?? []
    }

    /// The hints after `history` (oldest first), co-occurrence hints (best first) then text hints, never an item of
    /// the history itself nor one twice. `own`: a sequence whose transitions are taken out of the counts first (a
    /// training sample's user's training sequence); nil at validation, test and serving time, whose targets are in
    /// no count.
    public func hints(history: ArraySlice<Int32>, leavingOut own: ArraySlice<Int32>? = nil) -> [Int32] {
        var hints = cooccurring(history: history, leavingOut: own)   // already without history items, each once
        if textCount > 0, let last = history.last, textNeighbours.indices.contains(Int(last)) {
            var listed = Set(history).union(hints)
            hints += textNeighbours[Int(last)].filter { listed.insert($0).inserted }.prefix(textCount)
        }
        return hints
    }

    /// The co-occurrence hints' candidates, best first.
    private func cooccurring(history: ArraySlice<Int32>, leavingOut own: ArraySlice<Int32>?) -> [Int32] {
        guard count > 0 else { return [] }
        let excluded = Set(history)
        return followerScores(history: history, leavingOut: own).filter { !excluded.contains($0.key) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(count).map(\.key)
    }

    /// Every item that followed one of the history's last items in the training sequences, scored by the share of
    /// each recent item's row it holds, the newest item weighing most (1, 1/2, 1/3): the forward co-occurrence
    /// baseline's scores. History items are not taken out. `own`: as in ``hints(history:leavingOut:)``.
    public func followerScores(history: ArraySlice<Int32>, leavingOut own: ArraySlice<Int32>? = nil) -> [Int32: Double] {
        let recent = Array(history.suffix(recentItems).reversed())
        var ownRows: [Int32: [Int32: Double]] = [:]
        if let own {
            let read = Set(recent)
            ItemTransitions.forEachPair(in: own, window: transitions.window) { from, to, weight in
                if read.contains(from) { ownRows[from, default: [:]][to, default: 0] += weight }
            }
        }
        var scores: [Int32: Double] = [:]
        for (age, item) in recent.enumerated() where Int(item) < transitions.numberOfItems {
            let mine = ownRows[item] ?? [:]
            let total = transitions.totals[Int(item)] - ItemTransitions.sum(mine)
            guard total > 1e-9 else { continue }
            for (next, weight) in transitions.rows[Int(item)] {
                let others = weight - mine[next, default: 0]
                if others > 1e-9 { scores[next, default: 0] += others / total / Double(age + 1) }
            }
        }
        return scores
    }
}
