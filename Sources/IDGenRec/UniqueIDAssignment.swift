/// IDGenRec's uniqueness procedure: items in a fixed order each take their first candidate ID that no
/// earlier item took. Items whose candidates all collide are decoded again with a diversity penalty one
/// higher; after `penaltyRaises` raises, with a minimum length `lengthStep` tokens longer and the penalty
/// reset. (The reference lengthens by 10 tokens; 2 keeps the few colliding items' IDs short, which matters
/// because every ID is read in every history that holds it.) Every item ends with a unique, non-empty ID: should candidates still collide after
/// `lengthRaises` length raises, the first candidate gets the smallest numeric suffix that frees it.
public struct UniqueIDAssignment: Sendable {
    public var initialDiversityPenalty: Float = 1
    public var penaltyRaises = 10
    public var lengthStep = 2
    public var lengthRaises = 2

    public init() {}

    /// The decoding settings of one retry round.
    public struct Round: Sendable, Equatable {
        public var diversityPenalty: Float
        public var minimumLength: Int
    }

    /// Assigns IDs to items `0..<count`. `candidates(items, round)` returns, for each listed item, its
    /// candidate IDs best first (normalised text; empty strings are skipped).
    public func assign(count: Int, candidates: ([Int], Round) throws -> [[String]]) throws -> [String] {
        var assigned = [String?](repeating: nil, count: count)
        var taken = Set<String>()
        var pending = Array(0..<count)
        var round = Round(diversityPenalty: initialDiversityPenalty, minimumLength: 0)
        var raises = 0, lengthen = 0
        var lastCandidates: [Int: [String]] = [:]
        while !pending.isEmpty && lengthen <= lengthRaises {
            let proposals = try candidates(pending, round)
            var stillPending: [Int] = []
            for (item, options) in zip(pending, proposals) {
                if let free = options.first(where: { !$0.isEmpty && !taken.contains($0) }) {
                    assigned[item] = free
                    taken.insert(free)
                } else {
                    stillPending.append(item)
                    lastCandidates[item] = options
                }
            }
            pending = stillPending
            raises += 1
            round.diversityPenalty += 1
            if raises >= penaltyRaises {
                raises = 0
                lengthen += 1
                round.minimumLength += lengthStep
                round.diversityPenalty = initialDiversityPenalty
            }
        }
        for item in pending {
            let base = lastCandidates[item]?.first(where: { !$0.isEmpty }) ?? "item"
            var suffix = 2
            while taken.contains("\(base) \(suffix)") { suffix += 1 }
            assigned[item] = "\(base) \(suffix)"
            taken.insert(assigned[item]!)
        }
        return assigned.map { $0! }
    }

    /// IDGenRec's normal form of a decoded ID: punctuation removed, words joined by single spaces.
    public static func normalise(_ text: String) -> String {
        let kept = text.unicodeScalars.map { scalar -> Character in
            scalar.properties.generalCategory.isPunctuation || scalar.properties.generalCategory.isSymbol ? " " : Character(scalar)
        }
        return String(kept).split(whereSeparator: \.isWhitespace).joined(separator: " ")
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
