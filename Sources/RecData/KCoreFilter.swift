/// Keeps only users and items with at least `k` interactions each, repeating until nothing changes.
///
/// One pass is not enough: removing a sparse item shortens some users below `k`, and removing those users
/// makes other items sparse. The loop stops at the fixed point, the largest subset where both hold.
public struct KCoreFilter: Sendable {
    public var minimumInteractions: Int

    /// What the filter removed.
    public struct Report: Sendable, Equatable, Codable {
        public var rounds = 0
        public var usersRemoved = 0
        public var itemsRemoved = 0
        public var interactionsRemoved = 0
    }

    public init(minimumInteractions: Int = 5) {
        self.minimumInteractions = minimumInteractions
    }

    public func apply(to dataset: Dataset) throws(DatasetError) -> (dataset: Dataset, report: Report) {
        let k = minimumInteractions
        guard k > 0 else { return (dataset, Report()) }
        var userAlive = [Bool](repeating: true, count: dataset.numberOfUsers)
        var itemAlive = [Bool](repeating: true, count: dataset.numberOfItems)
        var report = Report()
        var changed = true
        while changed {
            changed = false
            report.rounds += 1
            var degree = [Int](repeating: 0, count: dataset.numberOfItems)
            for user in 0..<dataset.numberOfUsers where userAlive[user] {
                var length = 0
                for item in dataset.sequence(ofUser: user) where itemAlive[Int(item)] { length += 1 }
                if length < k {
                    userAlive[user] = false
                    changed = true
                    continue
                }
                for item in dataset.sequence(ofUser: user) where itemAlive[Int(item)] { degree[Int(item)] += 1 }
            }
            for item in 0..<dataset.numberOfItems where itemAlive[item] && degree[item] < k {
                itemAlive[item] = false
                changed = true
            }
        }
        // The last round changed nothing, so it only confirmed the fixed point.
        report.rounds -= 1

        var newIndex = [Int32](repeating: -1, count: dataset.numberOfItems)
        var items: [Item] = []
        for item in 0..<dataset.numberOfItems where itemAlive[item] {
            newIndex[item] = Int32(items.count)
            items.append(dataset.catalogue[item])
        }
        var userIDs: [String] = []
        var flat: [Int32] = []
        var offsets = [0]
        for user in 0..<dataset.numberOfUsers where userAlive[user] {
            userIDs.append(dataset.userIDs[user])
            for item in dataset.sequence(ofUser: user) where itemAlive[Int(item)] { flat.append(newIndex[Int(item)]) }
            offsets.append(flat.count)
        }
        report.usersRemoved = dataset.numberOfUsers - userIDs.count
        report.itemsRemoved = dataset.numberOfItems - items.count
        report.interactionsRemoved = dataset.numberOfInteractions - flat.count
        let filtered = try Dataset(catalogue: Catalogue(items: items), userIDs: userIDs, sequenceItems: flat, sequenceOffsets: offsets)
        return (filtered, report)
    }
}
