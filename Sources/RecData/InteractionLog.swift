/// Interactions as an importer reads them, before grouping: ids interned to small integers on the way in,
/// so a million rows cost about 16 MB rather than two strings each.
struct InteractionLog {
    var userIDs: [String] = []
    var itemIDs: [String] = []
    private var userIndex: [String: Int32] = [:]
    private var itemIndex: [String: Int32] = [:]
    /// One entry per interaction, in input order.
    var users: [Int32] = []
    var items: [Int32] = []
    /// Time of each interaction; importers without timestamps use the input position, which keeps file order.
    var times: [Double] = []
    /// Where each item was first seen, so a policy error can name a line.
    var itemFirstLine: [Int] = []
    /// The file the interactions came from (for messages).
    let path: String

    init(path: String) { self.path = path }

    var count: Int { users.count }

    mutating func append(user: String, item: String, time: Double, line: Int) {
        let userNumber: Int32
        if let known = userIndex[user] {
            userNumber = known
        } else {
            userNumber = Int32(userIDs.count)
            userIndex[user] = userNumber
            userIDs.append(user)
        }
        let itemNumber: Int32
        if let known = itemIndex[item] {
            itemNumber = known
        } else {
            itemNumber = Int32(itemIDs.count)
            itemIndex[item] = itemNumber
            itemIDs.append(item)
            itemFirstLine.append(line)
        }
        users.append(userNumber)
        items.append(itemNumber)
        times.append(time)
    }
}

/// Item metadata records by id, in file order, with the declared policy for repeated ids applied as they arrive.
struct MetadataTable {
    private(set) var items: [Item] = []
    private var positionByID: [String: Int] = [:]
    private var lineByID: [String: Int] = [:]
    let path: String
    let policy: DuplicateMetadataPolicy

    init(path: String, policy: DuplicateMetadataPolicy) {
        self.path = path
        self.policy = policy
    }

    func position(of itemID: String) -> Int? { positionByID[itemID] }

    mutating func add(_ item: Item, line: Int, report: inout ImportReport) throws(DatasetError) {
        guard let existing = positionByID[item.id] else {
            positionByID[item.id] = items.count
            lineByID[item.id] = line
            items.append(item)
            return
        }
        let firstLine = lineByID[item.id] ?? 0
        report.duplicateMetadataRecords += 1
        switch policy {
        case .reject:
            throw .duplicateItem(path: path, line: line, itemID: item.id, firstLine: firstLine)
        case .keepFirst:
            report.note("duplicate metadata records (first kept): first at \(path):\(line), item '\(item.id)' (first on line \(firstLine))")
        case .keepLast:
            items[existing] = item
            report.note("duplicate metadata records (last kept): first at \(path):\(line), item '\(item.id)' (first on line \(firstLine))")
        }
    }
}
