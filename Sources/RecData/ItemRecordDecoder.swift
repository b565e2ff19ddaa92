import Foundation

/// Turns one parsed metadata record (JSON object or Python dict) into an ``Item``.
///
/// One decoder serves the project's `items.jsonl` and both Amazon dumps: their keys differ
/// (`item_id`/`asin`, `categories`/`category`) and their shapes differ (a description string or a list of
/// paragraphs, categories as a list or a list of lists), and every shape maps to the same fields.
struct ItemRecordDecoder {
    /// Keys that may hold the item id, tried in order.
    var idKeys = ["item_id", "asin"]
    /// Keys that are not text and would only bloat memory (links to other items, image URLs).
    var ignoredKeys: Set<String> = []
    /// Whether to strip HTML markup and entities from text (Amazon's text carries both).
    var cleansMarkup = false

    struct Failure: Error {
        let field: String?
        let message: String
        let fix: String
    }

    /// The record's id when it has a usable one.
    func itemID(of record: LiteralValue) -> String? {
        guard case .object(let members) = record else { return nil }
        return members.first(where: { idKeys.contains($0.key) })?.value.scalarText
    }

    func decode(_ record: LiteralValue) throws(Failure) -> Item {
        guard case .object(let members) = record else {
            throw Failure(field: nil, message: "the line is not an object", fix: "Write one object per line, e.g. {\"item_id\": \"X\", \"title\": \"...\"}.")
        }
        guard let idMember = members.first(where: { idKeys.contains($0.key) }) else {
            throw Failure(field: idKeys[0], message: "the record has no item id", fix: "Add an '\(idKeys[0])' key to every record.")
        }
        guard let id = idMember.value.scalarText, !id.isEmpty else {
            throw Failure(field: idMember.key, message: "the item id must be a non-empty string", fix: "Write the id as a string.")
        }
        var item = Item(id: id)
        for member in members where member.key != idMember.key && !ignoredKeys.contains(member.key) {
            try assign(member, to: &item)
        }
        return item
    }

    private func assign(_ member: LiteralValue.Member, to item: inout Item) throws(Failure) {
        let value = member.value
        switch member.key {
        case "title": item.title = try text(value, field: member.key)
        case "brand": item.brand = try text(value, field: member.key)
        case "keywords": item.keywords = try text(value, field: member.key)
        case "description": item.description = try text(value, field: member.key)
        case "categories", "category":
            item.categories = uniqued(item.categories + categoryList(value).map(clean).filter { !$0.isEmpty })
        case "price":
            if let price = Self.price(from: value) {
                item.price = price
            } else if let raw = value.scalarText, !raw.isEmpty {
                item.extraFields["price"] = raw  // a range such as "$5 - $9" is kept as text rather than lost
            }
        default:
            // Empty extras ("tech1": "", "feature": []) carry nothing; leaving them out keeps items small.
            let text = clean(value.flattenedText)
            if !text.isEmpty { item.extraFields[member.key] = text }
        }
    }

    /// A text field: a string, or a list of paragraphs joined by spaces; `null` is absent.
    private func text(_ value: LiteralValue, field: String) throws(Failure) -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return clean(text)
        case .number, .bool: return value.scalarText
        case .array(let parts):
            return clean(parts.map(\.flattenedText).filter { !$0.isEmpty }.joined(separator: " "))
        case .object:
            throw Failure(field: field, message: "expected text, found an object", fix: "Write the field as a string.")
        }
    }

    /// Categories as a flat list: Amazon 2014 nests one list per category path.
    private func categoryList(_ value: LiteralValue) -> [String] {
        switch value {
        case .null: return []
        case .string(let text): return [text]
        case .number, .bool: return value.scalarText.map { [$0] } ?? []
        case .array(let values): return values.flatMap(categoryList)
        case .object(let members): return members.map(\.key)
        }
    }

    private func clean(_ text: String) -> String { cleansMarkup ? HTMLText.clean(text) : text }

    private func uniqued(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    /// A price from a number or from text such as "$7.99"; `nil` for ranges and anything else.
    static func price(from value: LiteralValue) -> Double? {
        switch value {
        case .number(let number): return number
        case .string(let text):
            var digits = text.trimmingCharacters(in: .whitespaces)
            if digits.hasPrefix("$") { digits.removeFirst() }
            digits = digits.replacingOccurrences(of: ",", with: "")
            guard !digits.isEmpty, let number = Double(digits), number.isFinite else { return nil }
            return number
        default: return nil
        }
    }
}
