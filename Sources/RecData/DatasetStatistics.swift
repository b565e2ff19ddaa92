import Foundation

/// Counts that describe a dataset: sizes, how long sequences are, and how much text items carry.
public struct DatasetStatistics: Sendable, Equatable, Codable {
    public var users: Int
    public var items: Int
    public var interactions: Int
    /// Interactions divided by users × items.
    public var density: Double
    public var sequenceLength: LengthDistribution
    /// Items per number of interactions they appear in (their popularity).
    public var itemPopularity: LengthDistribution
    /// For each text field, how many items have it non-empty.
    public var textCoverage: [FieldCoverage]
    /// Items with no text at all.
    public var itemsWithoutText: Int
    /// Users with fewer interactions than the leave-one-out split needs (3); the split leaves them out.
    public var usersTooShortForSplit: Int

    /// Summary of a distribution of counts, with a histogram over fixed ranges.
    public struct LengthDistribution: Sendable, Equatable, Codable {
        public var minimum: Int
        public var median: Int
        public var mean: Double
        public var percentile90: Int
        public var maximum: Int
        public var histogram: [Bucket]
    }

    /// How many values fall in one range of the histogram.
    public struct Bucket: Sendable, Equatable, Codable {
        public var range: String
        public var count: Int
    }

    /// How many items have one text field non-empty, and their share of the catalogue.
    public struct FieldCoverage: Sendable, Equatable, Codable {
        public var field: String
        public var items: Int
        public var share: Double
    }

    public init(_ dataset: Dataset) {
        users = dataset.numberOfUsers
        items = dataset.numberOfItems
        interactions = dataset.numberOfInteractions
        density = users > 0 && items > 0 ? Double(interactions) / (Double(users) * Double(items)) : 0
        sequenceLength = Self.distribution((0..<users).map(dataset.sequenceLength(ofUser:)))
        var popularity = [Int](repeating: 0, count: items)
        for item in dataset.sequenceItems { popularity[Int(item)] += 1 }
        itemPopularity = Self.distribution(popularity)

        var fields = ItemTextField.standardFields
        let extraNames = Set(dataset.catalogue.items.flatMap(\.extraFields.keys)).sorted()
        fields += extraNames.map(ItemTextField.extra)
        let itemCount = items
        textCoverage = fields.map { field in
            let count = dataset.catalogue.items.count(where: { !$0.text(of: field).isEmpty })
            return FieldCoverage(field: field.name, items: count, share: itemCount > 0 ? Double(count) / Double(itemCount) : 0)
        }
        itemsWithoutText = dataset.catalogue.items.count(where: { !$0.hasText })
        usersTooShortForSplit = (0..<users).count(where: { dataset.sequenceLength(ofUser: $0) < LeaveOneOutSplit.minimumSequenceLength })
    }

    static let bucketBounds = [1, 3, 5, 10, 20, 50, 100, 1000]

    static func distribution(_ values: [Int]) -> LengthDistribution {
        let sorted = values.sorted()
        guard let first = sorted.first, let last = sorted.last else {
            return LengthDistribution(minimum: 0, median: 0, mean: 0, percentile90: 0, maximum: 0, histogram: [])
        }
        var buckets: [Bucket] = []
        if first < bucketBounds[0] { buckets.append(Bucket(range: "0", count: sorted.count(where: { $0 < bucketBounds[0] }))) }
        for (index, lower) in bucketBounds.enumerated() {
            let upper = index + 1 < bucketBounds.count ? bucketBounds[index + 1] : Int.max
            let count = sorted.count(where: { $0 >= lower && $0 < upper })
            let label = upper == Int.max ? "\(lower)+" : (upper - 1 == lower ? "\(lower)" : "\(lower)-\(upper - 1)")
            if upper > first && lower <= last { buckets.append(Bucket(range: label, count: count)) }
        }
        return LengthDistribution(
            minimum: first,
            median: sorted[(sorted.count - 1) / 2],
            mean: Double(sorted.reduce(0, +)) / Double(sorted.count),
            percentile90: sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.up)) - 1)],
            maximum: last,
            histogram: buckets
        )
    }

    /// A readable multi-line summary.
    public var text: String {
        func number(_ value: Int) -> String {
            let digits = String(value)
            var grouped = ""
            for (offset, character) in digits.reversed().enumerated() {
                if offset > 0, offset % 3 == 0, character != "-" { grouped.append(",") }
                grouped.append(character)
            }
            return String(grouped.reversed())
        }
        func fixed(_ value: Double, _ places: Int) -> String { String(format: "%.\(places)f", value) }
        // A share short of whole never reads 100.0% (7,379 of 7,382 is 99.96%, not 100.0%).
        func percent(_ share: Double) -> String {
            let text = fixed(share * 100, 1)
            return share < 1 && text == "100.0" ? fixed(share * 100, 2) + "%" : text + "%"
        }
        func describe(_ distribution: LengthDistribution) -> String {
            "min \(distribution.minimum), median \(distribution.median), mean \(fixed(distribution.mean, 2)), "
                + "p90 \(distribution.percentile90), max \(distribution.maximum)"
        }
        var lines = [
            "users         \(number(users))",
            "items         \(number(items))",
            "interactions  \(number(interactions))",
            "density       \(String(format: "%.6f", density))",
            "sequence length: \(describe(sequenceLength))",
        ]
        lines += sequenceLength.histogram.map { "  \($0.range.padding(toLength: 8, withPad: " ", startingAt: 0)) \(number($0.count)) users" }
        lines.append("item popularity: \(describe(itemPopularity))")
        lines.append("text coverage (items with the field non-empty):")
        lines += textCoverage.map {
            "  \($0.field.padding(toLength: 12, withPad: " ", startingAt: 0)) \(number($0.items)) (\(percent($0.share)))"
        }
        lines.append("items without text: \(number(itemsWithoutText))")
        if usersTooShortForSplit > 0 {
            lines.append("users with fewer than \(LeaveOneOutSplit.minimumSequenceLength) interactions (left out of the leave-one-out split): \(number(usersTooShortForSplit))")
        }
        return lines.joined(separator: "\n")
    }
}
