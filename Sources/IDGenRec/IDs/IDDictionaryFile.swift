import DurableFiles
import Foundation
import RecData
import TensorEngine
import Tokenization

/// Item-ID dictionaries on disk: TSV and CSV (`item_id`, `textual_id`) or JSON lines
/// (`{"item_id", "textual_id", "token_ids"}`), written atomically, read with errors that name the line.
public enum IDDictionaryFormat: String, CaseIterable, Sendable {
    case tsv, jsonl, csv

    /// The format a file name implies, or nil.
    public init?(fileName: String) {
        self.init(rawValue: (fileName as NSString).pathExtension.lowercased())
    }
}

extension IDDictionary {
    /// Writes the dictionary in `format`, atomically.
    public func write(to url: URL, format: IDDictionaryFormat) throws {
        var text = ""
        switch format {
        case .tsv:
            text = "item_id\ttextual_id\n"
            for (item, id) in zip(itemIDs, textualIDs) { text += "\(item)\t\(id)\n" }
        case .csv:
            text = "item_id,textual_id\n"
            for (item, id) in zip(itemIDs, textualIDs) { text += "\(Self.csvField(item)),\(Self.csvField(id))\n" }
        case .jsonl:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for index in itemIDs.indices {
                let line = Entry(item_id: itemIDs[index], textual_id: textualIDs[index], token_ids: tokenIDs[index])
                text += String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
            }
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// Reads a dictionary; token ids are recomputed with `tokenizer` (and, in JSON lines, must agree with it). With a
    /// `catalogue`, an item it does not hold is an error naming its line.
    public static func read(from url: URL, format: IDDictionaryFormat? = nil, tokenizer: any Tokenizer,
                            catalogue: Catalogue? = nil) throws -> IDDictionary {
        guard let format = format ?? IDDictionaryFormat(fileName: url.lastPathComponent) else {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "unknown dictionary format: name it .tsv, .csv or .jsonl")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "cannot be read (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "is not UTF-8 text")
        }
        var itemIDs: [String] = [], textualIDs: [String] = [], storedTokens: [(line: Int, tokens: [Int32])] = []
        var lineOfItem: [String: Int] = [:], lineOfID: [String: Int] = [:]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, raw) in lines.enumerated() {
            let number = offset + 1, line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            func fail(_ reason: String) -> IDGenRecError { .invalidFile(path: url.path, line: number, reason: reason) }
            switch format {
            case .tsv, .csv:
                let fields = format == .tsv ? line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) : try Self.csvFields(String(line)) ?? { throw fail("unbalanced quotes") }()
                if number == 1, fields.first == "item_id" { continue }
                guard fields.count == 2 else { throw fail("expected 2 fields (item_id, textual_id), found \(fields.count)") }
                itemIDs.append(fields[0]); textualIDs.append(fields[1])
            case .jsonl:
                guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(line.utf8)) else {
                    throw fail("expected {\"item_id\": ..., \"textual_id\": ..., \"token_ids\": [...]}")
                }
                itemIDs.append(entry.item_id); textualIDs.append(entry.textual_id)
                storedTokens.append((number, entry.token_ids))
            }
            if itemIDs.last!.isEmpty { throw fail("empty item_id") }
            if textualIDs.last!.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("empty textual_id for item \"\(itemIDs.last!)\"") }
            if let catalogue, catalogue.index(of: itemIDs.last!) == nil { throw fail("item \"\(itemIDs.last!)\" is not in the catalogue") }
            if let first = lineOfItem.updateValue(number, forKey: itemIDs.last!) {
                throw fail("item \"\(itemIDs.last!)\" is listed twice (first on line \(first))")
            }
            if let first = lineOfID.updateValue(number, forKey: textualIDs.last!) {
                throw fail("ID \"\(textualIDs.last!)\" is also the ID on line \(first): IDs must be unique")
            }
        }
        guard !itemIDs.isEmpty else { throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "holds no IDs") }
        let dictionary: IDDictionary
        do { dictionary = try IDDictionary(itemIDs: itemIDs, textualIDs: textualIDs, tokenizer: tokenizer) } catch {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "\(error)")
        }
        for (index, stored) in storedTokens.enumerated() where stored.tokens != dictionary.tokenIDs[index] {
            throw IDGenRecError.invalidFile(path: url.path, line: stored.line,
                                            reason: "token_ids \(stored.tokens) do not match the tokenizer's \(dictionary.tokenIDs[index]) for \"\(textualIDs[index])\"")
        }
        return dictionary
    }

    private struct Entry: Codable {
        let item_id: String
        let textual_id: String
        let token_ids: [Int32]
    }

    private static func csvField(_ value: String) -> String {
        value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }

    /// Fields of one CSV line (RFC 4180 quoting), nil when quotes do not balance.
    private static func csvFields(_ line: String) -> [String]? {
        var fields: [String] = [], current = "", quoted = false, iterator = Array(line).makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else { quoted = false; if next == "," { fields.append(current); current = "" } else { current.append(next) } }
                    } else { quoted = false }
                } else { current.append(character) }
            } else if character == "\"" { quoted = true }
            else if character == "," { fields.append(current); current = "" }
            else { current.append(character) }
        }
        if quoted { return nil }
        fields.append(current)
        return fields
    }
}
