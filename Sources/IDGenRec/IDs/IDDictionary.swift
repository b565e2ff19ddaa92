import Foundation
import Generation
import RecData
import Tokenization

/// Every catalogue item's textual ID: the words (decoded text) and the token ids the models read.
///
/// IDs are unique and non-empty by construction: `init` refuses a dictionary that breaks either rule.
public struct IDDictionary: Sendable, Equatable {
    /// Item ids, in catalogue order.
    public let itemIDs: [String]
    /// Each item's textual ID, e.g. `"nail lacquer simmer shimmer"`.
    public let textualIDs: [String]
    /// Each textual ID's tokens, without the end-of-sequence token.
    public let tokenIDs: [[Int32]]

    public init(itemIDs: [String], textualIDs: [String], tokenIDs: [[Int32]]) throws(IDGenRecError) {
        guard itemIDs.count == textualIDs.count, itemIDs.count == tokenIDs.count else {
            throw .invalidDictionary("\(itemIDs.count) items, \(textualIDs.count) IDs, \(tokenIDs.count) token lists")
        }
        var seen: [[Int32]: Int] = [:], items = Set<String>()
        for index in itemIDs.indices {
            guard items.insert(itemIDs[index]).inserted else { throw .invalidDictionary("item \"\(itemIDs[index])\" is listed twice") }
            guard !textualIDs[index].isEmpty, !tokenIDs[index].isEmpty else {
                throw .invalidDictionary("item \"\(itemIDs[index])\" has an empty ID")
            }
            if let other = seen.updateValue(index, forKey: tokenIDs[index]) {
                throw .invalidDictionary("items \"\(itemIDs[other])\" and \"\(itemIDs[index])\" share the ID \"\(textualIDs[index])\"")
            }
        }
        self.itemIDs = itemIDs
        self.textualIDs = textualIDs
        self.tokenIDs = tokenIDs
    }

    /// Builds the dictionary from textual IDs, tokenising each one.
    public init(itemIDs: [String], textualIDs: [String], tokenizer: any Tokenizer) throws(IDGenRecError) {
        let tokens = tokenizer.encode(textualIDs).map { Array($0.dropLast()) }   // drop the eos the tokenizer appends
        try self.init(itemIDs: itemIDs, textualIDs: textualIDs, tokenIDs: tokens)
    }

    public var count: Int { itemIDs.count }

    /// A trie over `[decoder start] + tokens + [eos]` of every ID: what constrained beam search may write.
    public func trie(decoderStartTokenID: Int32, eosTokenID: Int32) -> PrefixTrie<Int32> {
        PrefixTrie(tokenIDs.map { [decoderStartTokenID] + $0 + [eosTokenID] })
    }

    /// Item index for a generated sequence (decoder start first, eos last), nil when it is no item's ID.
    public func itemIndexByTokens() -> [[Int32]: Int] {
        Dictionary(uniqueKeysWithValues: tokenIDs.enumerated().map { ($0.element, $0.offset) })
    }

    /// Checks that the dictionary names exactly the catalogue's items (or, `allowingExtraItems`, at least them), and
    /// reorders it to catalogue order.
    public func aligned(to catalogue: Catalogue, source: String, allowingExtraItems: Bool = false) throws(IDGenRecError) -> IDDictionary {
        var position: [String: Int] = [:]
        for (index, id) in itemIDs.enumerated() { position[id] = index }
        var textual: [String] = [], tokens: [[Int32]] = []
        for item in catalogue.items {
            guard let index = position[item.id] else { throw .invalidDictionary("\(source): no ID for item \"\(item.id)\" of the catalogue") }
            textual.append(textualIDs[index])
            tokens.append(tokenIDs[index])
        }
        if !allowingExtraItems, itemIDs.count != catalogue.count, let extra = itemIDs.first(where: { catalogue.index(of: $0) == nil }) {
            throw .invalidDictionary("\(source): item \"\(extra)\" is not in the catalogue")
        }
        return try IDDictionary(itemIDs: catalogue.items.map(\.id), textualIDs: textual, tokenIDs: tokens)
    }
}

/// What went wrong in ID generation, training, evaluation or a run's files.
public enum IDGenRecError: Error, CustomStringConvertible, Equatable {
    case invalidDictionary(String)
    case invalidFile(path: String, line: Int?, reason: String)
    case invalidRun(path: String, reason: String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidDictionary(let reason): return "invalid ID dictionary: \(reason)"
        case .invalidFile(let path, let line, let reason): return line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)"
        case .invalidRun(let path, let reason): return "\(path): \(reason)"
        case .invalidInput(let reason): return reason
        }
    }
}
