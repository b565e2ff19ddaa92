/// A value parsed from one JSON or Python-literal line.
enum LiteralValue: Equatable, Sendable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([LiteralValue])
    /// Members in source order; lookups are linear because records have a handful of keys.
    case object([Member])

    struct Member: Equatable, Sendable {
        let key: String
        let value: LiteralValue
    }

    subscript(key: String) -> LiteralValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// Scalars as text: numbers without a needless `.0`, booleans as `true`/`false`.
    var scalarText: String? {
        switch self {
        case .string(let text): return text
        case .number(let number): return LiteralValue.format(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .null, .array, .object: return nil
        }
    }

    static func format(_ number: Double) -> String {
        if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }

    /// Any value as readable text: lists joined by ", ", objects as "key: value" pairs; `null` is empty.
    var flattenedText: String {
        switch self {
        case .null: return ""
        case .string, .number, .bool: return scalarText ?? ""
        case .array(let values):
            return values.map(\.flattenedText).filter { !$0.isEmpty }.joined(separator: ", ")
        case .object(let members):
            return members.compactMap { member in
                let text = member.value.flattenedText
                return text.isEmpty ? nil : "\(member.key): \(text)"
            }.joined(separator: ", ")
        }
    }
}
