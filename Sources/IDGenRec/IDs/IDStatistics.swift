/// What a set of IDs looks like to the models and to a person reading them: printed after every ID
/// generation and recorded in the run log.
public struct IDStatistics: Sendable, Equatable, CustomStringConvertible {
    public var items: Int
    public var meanTokens: Double
    public var maximumTokens: Int
    public var meanWords: Double
    /// Share of IDs in which a word directly follows itself (`Men Men`): zero for well-formed IDs.
    public var repeatedWordShare: Double
    /// Share of IDs in which a token directly follows itself (`uki uki` inside `sukiukiuki`).
    public var repeatedTokenShare: Double
    /// Share of IDs that the uniqueness procedure's fallback decided rather than the generator's candidates.
    public var fallbackShare: Double

    public init(dictionary: IDDictionary, decidedByFallback: Int = 0) {
        let n = Double(max(dictionary.count, 1))
        items = dictionary.count
        meanTokens = Double(dictionary.tokenIDs.map(\.count).reduce(0, +)) / n
        maximumTokens = dictionary.tokenIDs.map(\.count).max() ?? 0
        let words = dictionary.textualIDs.map { $0.split(separator: " ").map { $0.lowercased() } }
        meanWords = Double(words.map(\.count).reduce(0, +)) / n
        repeatedWordShare = Double(words.filter { id in zip(id, id.dropFirst()).contains { $0 == $1 } }.count) / n
        repeatedTokenShare = Double(dictionary.tokenIDs.filter { id in zip(id, id.dropFirst()).contains { $0 == $1 } }.count) / n
        fallbackShare = Double(decidedByFallback) / n
    }

    /// The statistics under snake_case keys, for logs and JSON.
    public var values: [String: Double] {
        ["items": Double(items), "mean_tokens": meanTokens, "max_tokens": Double(maximumTokens), "mean_words": meanWords,
         "repeated_word_share": repeatedWordShare, "repeated_token_share": repeatedTokenShare, "fallback_share": fallbackShare]
    }

    public var description: String {
        "\(items) IDs: \(String(format: "%.2f", meanTokens)) tokens on average (max \(maximumTokens)), "
            + "\(String(format: "%.2f", meanWords)) words; \(String(format: "%.1f%%", repeatedWordShare * 100)) repeat a word, "
            + "\(String(format: "%.1f%%", repeatedTokenShare * 100)) a token, "
            + "\(String(format: "%.1f%%", fallbackShare * 100)) decided by the fallback"
    }
}
