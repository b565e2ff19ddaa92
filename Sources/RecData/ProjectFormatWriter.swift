import DurableFiles
import Foundation

/// Writes a dataset in the project's format: `user_sequence.txt` and `items.jsonl` in one folder.
///
/// Items are written in catalogue order with their keys in a fixed order (`item_id`, the standard fields, then
/// extra fields sorted by name), so writing the same dataset twice gives identical bytes.
public enum ProjectFormatWriter {
    public static func write(_ dataset: Dataset, toFolder folder: String) throws {
        for id in dataset.userIDs { try checkIdentifier(id, kind: "user") }
        for item in dataset.catalogue.items { try checkIdentifier(item.id, kind: "item") }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DatasetError.unwritable(path: folder, reason: error.localizedDescription)
        }
        for (name, text) in [(ProjectFormatImporter.sequenceFileName, sequencesText(dataset)),
                             (ProjectFormatImporter.itemsFileName, itemsText(dataset.catalogue))] {
            do { try AtomicFile.write(text, to: URL(fileURLWithPath: folder).appendingPathComponent(name)) } catch {
                throw DatasetError.unwritable(path: error.path, reason: error.reason)
            }
        }
    }

    /// Ids are separated by spaces in `user_sequence.txt`, so they must not contain whitespace.
    static func checkIdentifier(_ id: String, kind: String) throws {
        if id.isEmpty || id.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            throw DatasetError.unwritableIdentifier(kind: kind, identifier: id, reason: "ids must be non-empty and free of whitespace")
        }
    }

    static func sequencesText(_ dataset: Dataset) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(dataset.numberOfInteractions * 12)
        let itemIDs = dataset.catalogue.items.map { Array($0.id.utf8) }
        for user in 0..<dataset.numberOfUsers {
            bytes.append(contentsOf: dataset.userIDs[user].utf8)
            for item in dataset.sequence(ofUser: user) {
                bytes.append(0x20)
                bytes.append(contentsOf: itemIDs[Int(item)])
            }
            bytes.append(0x0A)
        }
        return Data(bytes)
    }

    static func itemsText(_ catalogue: Catalogue) -> Data {
        var text = ""
        for item in catalogue.items {
            text += jsonLine(for: item)
            text += "\n"
        }
        return Data(text.utf8)
    }

    /// One item as a JSON object; the spacing follows Python's `json.dumps` defaults, as the datasets use.
    public static func jsonLine(for item: Item) -> String {
        var members = ["\"item_id\": \(JSONText.quote(item.id))"]
        if let title = item.title { members.append("\"title\": \(JSONText.quote(title))") }
        if let brand = item.brand { members.append("\"brand\": \(JSONText.quote(brand))") }
        if !item.categories.isEmpty {
            members.append("\"categories\": [\(item.categories.map(JSONText.quote).joined(separator: ", "))]")
        }
        if let description = item.description { members.append("\"description\": \(JSONText.quote(description))") }
        if let keywords = item.keywords { members.append("\"keywords\": \(JSONText.quote(keywords))") }
        if let price = item.price { members.append("\"price\": \(LiteralValue.format(price))") }
        for key in item.extraFields.keys.sorted() {
            members.append("\(JSONText.quote(key)): \(JSONText.quote(item.extraFields[key] ?? ""))")
        }
        return "{" + members.joined(separator: ", ") + "}"
    }
}

/// JSON string literals written by hand, where key order or spacing must be fixed: only what JSON requires
/// is escaped; other characters are written as UTF-8.
public enum JSONText {
    /// `text` as a quoted, escaped JSON string.
    public static func quote(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}
