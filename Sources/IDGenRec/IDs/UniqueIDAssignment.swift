/// IDGenRec's uniqueness procedure: items in a fixed order each take their first candidate ID that no
/// earlier item took. Items whose candidates all collide are decoded again with a diversity penalty one
/// higher, up to `penaltyRaises` times.
///
/// Two departures from the reference, both for IDs a person can read: a candidate is first put in
/// ``wellFormed(_:)`` shape (a word never follows itself: `Dove Men Men Men` is `Dove Men`), and an item
/// still colliding after every raise is not decoded again at a longer minimum length (the reference adds 10
/// tokens, which a small generator fills with repeats) but takes its best candidate extended by the next words
/// of its own text that free it (`fallbackWords`); only an item whose text is exhausted gets a numeric suffix.
/// Every item ends with a unique, non-empty ID.
public struct UniqueIDAssignment: Sendable {
    public var initialDiversityPenalty: Float = 1
    public var penaltyRaises = 10

    public init() {}

    /// The decoding settings of one retry round.
    public struct Round: Sendable, Equatable {
        public var diversityPenalty: Float
    }

    /// The IDs, and how many of them the fallback decided.
    public struct Assignment: Sendable, Equatable {
        public var ids: [String]
        public var decidedByFallback: Int
    }

    /// Assigns IDs to items `0..<count`. `candidates(items, round)` returns, for each listed item, its
    /// candidate IDs best first (normalised text; empty strings are skipped); `fallbackWords(item)` the words of
    /// the item's own text, in order, to extend a colliding ID with.
    public func assign(count: Int, candidates: ([Int], Round) throws -> [[String]],
                       fallbackWords: (Int) -> [String] = { _ in [] }) throws -> Assignment {
        var assigned = [String?](repeating: nil, count: count)
        var taken = Set<String>()
        var pending = Array(0..<count)
        var round = Round(diversityPenalty: initialDiversityPenalty)
        var firstCandidate: [Int: String] = [:]
        for _ in 0...penaltyRaises where !pending.isEmpty {
            let proposals = try candidates(pending, round)
            var stillPending: [Int] = []
            for (item, options) in zip(pending, proposals) {
                let options = options.map(Self.wellFormed).filter { !$0.isEmpty }
                if firstCandidate[item] == nil { firstCandidate[item] = options.first }
                if let free = options.first(where: { !taken.contains(Self.key($0)) }) {
                    assigned[item] = free
                    taken.insert(Self.key(free))
                } else {
                    stillPending.append(item)
                }
            }
            pending = stillPending
            round.diversityPenalty += 1
        }
        for item in pending {
            var id = firstCandidate[item] ?? ""
            // The item's own next words, skipping those the ID already has, until the ID is free.
            var used = Set(id.split(separator: " ").map { $0.lowercased() })
            for word in fallbackWords(item) where taken.contains(Self.key(id)) || id.isEmpty {
                let normalised = Self.normalise(word)
                guard !normalised.isEmpty, used.insert(normalised.lowercased()).inserted else { continue }
                id = id.isEmpty ? normalised : id + " " + normalised
            }
            if id.isEmpty { id = "item" }
            if taken.contains(Self.key(id)) {
                var suffix = 2
                while taken.contains(Self.key("\(id) \(suffix)")) { suffix += 1 }
                id = "\(id) \(suffix)"
            }
            assigned[item] = id
            taken.insert(Self.key(id))
        }
        return Assignment(ids: assigned.map { $0! }, decidedByFallback: pending.count)
    }

    /// Two IDs that differ only in case would read as one: uniqueness is decided on this key.
    static func key(_ id: String) -> String { id.lowercased() }

    /// IDGenRec's normal form of a decoded ID: punctuation removed, words joined by single spaces.
    public static func normalise(_ text: String) -> String {
        let kept = text.unicodeScalars.map { scalar -> Character in
            scalar.properties.generalCategory.isPunctuation || scalar.properties.generalCategory.isSymbol ? " " : Character(scalar)
        }
        return String(kept).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The normal form with no word directly repeating the one before it (case-insensitively).
    public static func wellFormed(_ text: String) -> String {
        var words: [Substring] = []
        for word in normalise(text).split(separator: " ") where words.last?.lowercased() != word.lowercased() {
            words.append(word)
        }
        return words.joined(separator: " ")
    }
}

extension Unicode.GeneralCategory {
    var isPunctuation: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    var isSymbol: Bool {
        switch self {
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: return true
        default: return false
        }
    }
}
