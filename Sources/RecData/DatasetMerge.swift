/// Joins datasets into one, as for training one model on several catalogues: users are kept apart by a
/// per-dataset prefix, items with the same id are one item (the first dataset's metadata wins, and each
/// such item is counted).
public enum DatasetMerge {
    public struct Report: Sendable, Equatable {
        /// Items found in more than one dataset.
        public var sharedItems: Int
    }

    /// `parts` pairs each dataset with the prefix its user ids get (e.g. "sports_").
    public static func merge(_ parts: [(dataset: Dataset, userPrefix: String)]) throws -> (dataset: Dataset, report: Report) {
        guard !parts.isEmpty else { throw DatasetError.invalidArgument(name: "datasets", reason: "nothing to merge") }
        var items: [Item] = [], indexByID: [String: Int32] = [:], shared = 0
        var userIDs: [String] = [], sequences: [[Int32]] = []
        for (dataset, prefix) in parts {
            var mapping = [Int32](repeating: 0, count: dataset.numberOfItems)
            for (index, item) in dataset.catalogue.items.enumerated() {
                if let existing = indexByID[item.id] {
                    mapping[index] = existing
                    shared += 1
                } else {
                    mapping[index] = Int32(items.count)
                    indexByID[item.id] = Int32(items.count)
                    items.append(item)
                }
            }
            for user in 0..<dataset.numberOfUsers {
                userIDs.append(prefix + dataset.userIDs[user])
                sequences.append(dataset.sequence(ofUser: user).map { mapping[Int($0)] })
            }
        }
        if Set(userIDs).count != userIDs.count {
            throw DatasetError.invalidArgument(name: "user prefixes", reason: "two datasets share user ids under the same prefix: give each its own prefix")
        }
        return (try Dataset(catalogue: Catalogue(items: items), userIDs: userIDs, sequences: sequences), Report(sharedItems: shared))
    }
}
