import Foundation

/// The ranking metrics of the leave-one-out protocol, for one held-out target per user: hit rate and NDCG at k.
///
/// A rank is the 1-based position of the target in the list a model returned, `nil` when the target is not in it.
/// With a single relevant item the ideal DCG is 1, so NDCG@k is the mean of `1 / log2(rank + 1)` over users whose
/// target is within the top k, and 0 for the others.
public enum RankingMetrics {
    /// The cut-offs reported by default (the papers report 5 and 10; 20 shows how far down the hits go).
    public static let defaultCutoffs = [5, 10, 20]

    /// Whether a target at `rank` counts as a hit at `cutoff`.
    public static func isHit(rank: Int?, cutoff: Int) -> Bool {
        guard let rank else { return false }
        return rank >= 1 && rank <= cutoff
    }

    /// The discounted gain of one user at `cutoff`: `1 / log2(rank + 1)` for a hit, else 0.
    public static func discountedGain(rank: Int?, cutoff: Int) -> Double {
        guard isHit(rank: rank, cutoff: cutoff), let rank else { return 0 }
        return 1 / log2(Double(rank + 1))
    }

    /// The share of users whose target is within the top `cutoff`; 0 when there are no users.
    public static func hitRate<Ranks: Collection<Int?>>(ranks: Ranks, cutoff: Int) -> Double {
        guard !ranks.isEmpty else { return 0 }
        let hits = ranks.reduce(0) { $0 + (isHit(rank: $1, cutoff: cutoff) ? 1 : 0) }
        return Double(hits) / Double(ranks.count)
    }

    /// The mean over users of the discounted gain at `cutoff` (NDCG@k with one relevant item); 0 when there are no users.
    public static func normalizedDiscountedCumulativeGain<Ranks: Collection<Int?>>(ranks: Ranks, cutoff: Int) -> Double {
        guard !ranks.isEmpty else { return 0 }
        // Summed in user order, so the same ranks always give the same bits.
        let total = ranks.reduce(0.0) { $0 + discountedGain(rank: $1, cutoff: cutoff) }
        return total / Double(ranks.count)
    }
}

extension RankingMetrics {
    /// `hr@5, hr@10, hr@20, ndcg@5, ...`: by name, then by cut-off as a number (not `hr@10, hr@20, hr@5`).
    public static func displayOrder(_ keys: Set<String>) -> [String] {
        func order(_ key: String) -> (String, Int) {
            let parts = key.split(separator: "@", maxSplits: 1)
            return (String(parts.first ?? ""), parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
        }
        return keys.sorted { order($0) < order($1) }
    }
}
