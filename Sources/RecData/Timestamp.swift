import Foundation

/// Reads interaction times: seconds (or any monotone number) as integers or decimals, or ISO 8601 dates
/// (`2014-02-28`, `2014-02-28T13:45:00Z`), which become seconds since 1970 (UTC; offsets are not applied).
enum Timestamp {
    static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let number = Double(trimmed), number.isFinite { return number }
        return parseISODate(trimmed)
    }

    private static func parseISODate(_ text: String) -> Double? {
        let utf8 = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= utf8.count else { return nil }
            var value = 0
            for byte in utf8[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard utf8.count >= 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = 0
        if utf8.count > 10 {
            guard utf8[10] == UInt8(ascii: "T") || utf8[10] == UInt8(ascii: " "),
                  let hour = number(11..<13), let minute = number(14..<16), hour < 24, minute < 60
            else { return nil }
            let second = number(17..<19) ?? 0
            seconds = hour * 3600 + minute * 60 + second
        }
        return Double(daysFromCivil(year: year, month: month, day: day) * 86_400 + seconds)
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
